# The build pipeline around mlc (tests/pipeline/test_pipeline.py): mlc info
# --json, mlc test --junit, mlc test on a target (--cc, --cflags, --exec, and
# under qemu-aarch64 where it is installed), the runtime ABI check in
# generated code
add_test(NAME pipeline COMMAND ${Python3_EXECUTABLE} ${T}/pipeline/test_pipeline.py
  --mlc $<TARGET_FILE:mlc> --runtime-lib $<TARGET_FILE:mlc_rt>)
set_tests_properties(pipeline PROPERTIES LABELS cli TIMEOUT 600)
