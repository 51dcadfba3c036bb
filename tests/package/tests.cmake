# Embedding and deployment, part 1 and 5 (docs/embedding.md): the CMake package
# installed and found, mlc added as a subdirectory, a runtime-only build, and
# the pip wheel. Each works in a folder of its own under the build folder.
set(MLC_PKG_WORK ${CMAKE_CURRENT_BINARY_DIR}/package)
foreach(mode install subdir runtime)
  add_test(NAME package_cmake_${mode} COMMAND bash ${T}/package/cmake_package.sh ${mode}
    ${PROJECT_SOURCE_DIR} $<TARGET_FILE_DIR:mlc> ${MLC_PKG_WORK}/${mode} ${CMAKE_GENERATOR}
    ${CMAKE_C_COMPILER})
  set_tests_properties(package_cmake_${mode} PROPERTIES LABELS package TIMEOUT 300)
endforeach()

# the pip wheel (pyproject.toml): built offline, installed into a fresh venv,
# compile/load/verify run there; skipped without scikit-build-core
add_test(NAME package_pip COMMAND ${Python3_EXECUTABLE} ${T}/package/pip_package.py
  --src ${PROJECT_SOURCE_DIR} --work ${MLC_PKG_WORK}/pip)
set_tests_properties(package_pip PROPERTIES LABELS package TIMEOUT 400 SKIP_RETURN_CODE 77)
