# The package a product builds against (docs/embedding.md): install rules for
# the mlc executable, libmlc_rt.a, the runtime's headers and sources, the
# CMake package (find_package(mlc): mlc::runtime, mlc::mlc, mlc_add_model) and
# mlc-runtime.pc. The same package works from the build tree
# (mlc_DIR=BUILD) and, through the targets and the function defined here,
# from a product that adds mlc with add_subdirectory or FetchContent.
include(CMakePackageConfigHelpers)
set(MLC_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mlc)

# mlc_add_model(): defined for this build (in-tree use), installed for others
include(${CMAKE_CURRENT_LIST_DIR}/mlcAddModel.cmake)

# MLC_INSTALL: the install rules and the build tree's package; off by
# default when mlc is a part of another project
option(MLC_INSTALL "install mlc's package (cmake --install)" ${MLC_IS_TOP_LEVEL})
if(NOT MLC_INSTALL)
  return()
endif()

if(MLC_BUILD_COMPILER)
  install(TARGETS mlc EXPORT mlcTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    COMPONENT compiler)
endif()
install(TARGETS mlc_rt EXPORT mlcTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  COMPONENT runtime)
install(FILES ${MLC_RT_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mlc
  COMPONENT runtime)
# the runtime as source, for a product that builds it with its own toolchain
install(FILES ${MLC_RT_SOURCES} ${MLC_RT_HEADERS} ${PROJECT_SOURCE_DIR}/runtime/parallel.h
  ${PROJECT_SOURCE_DIR}/runtime/nn_int.h ${PROJECT_SOURCE_DIR}/runtime/quant_int.h
  DESTINATION ${CMAKE_INSTALL_DATADIR}/mlc/runtime COMPONENT runtime)

# the CUDA runtime where it was built: the library and its two headers
# (mlc test --target=cuda of an installed mlc links it)
if(TARGET mlc_rt_cuda)
  install(TARGETS mlc_rt_cuda ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/runtime/cuda/mlc_rt_cuda.h
    ${PROJECT_SOURCE_DIR}/runtime/cuda/mlc_rt_cuda_kernels.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mlc COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/runtime/cuda/mlc_rt_cuda.h
    ${PROJECT_SOURCE_DIR}/runtime/cuda/mlc_rt_cuda_kernels.h
    DESTINATION ${CMAKE_INSTALL_DATADIR}/mlc/runtime/cuda COMPONENT runtime)
endif()

# the CMake package, installed and in the build tree
set(MLC_PKG_THREADS ${MLC_THREADS})
configure_file(${CMAKE_CURRENT_LIST_DIR}/mlcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mlcConfig.cmake @ONLY)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mlcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
configure_file(${CMAKE_CURRENT_LIST_DIR}/mlcAddModel.cmake
  ${PROJECT_BINARY_DIR}/mlcAddModel.cmake COPYONLY)
install(EXPORT mlcTargets NAMESPACE mlc:: DESTINATION ${MLC_CMAKE_INSTALL_DIR}
  COMPONENT runtime)
export(EXPORT mlcTargets NAMESPACE mlc:: FILE ${PROJECT_BINARY_DIR}/mlcTargets.cmake)
install(FILES ${PROJECT_BINARY_DIR}/mlcConfig.cmake ${PROJECT_BINARY_DIR}/mlcConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/mlcAddModel.cmake DESTINATION ${MLC_CMAKE_INSTALL_DIR}
  COMPONENT runtime)

# pkg-config: relocatable (paths relative to the .pc file's folder)
set(MLC_PC_CFLAGS "")
set(MLC_PC_LIBS "-lm")
if(MLC_THREADS)
  set(MLC_PC_CFLAGS " -DMLC_RT_THREADS")
  set(MLC_PC_LIBS "-lpthread -lm")
endif()
file(RELATIVE_PATH MLC_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" MLC_PC_TO_PREFIX "${MLC_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/mlc-runtime.pc.in
  ${PROJECT_BINARY_DIR}/mlc-runtime.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mlc-runtime.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT runtime)
