# The targets products ship to (docs/targets.md): each example cross-builds
# the seed MLP and a small CNN with this build's mlc, runs it under an
# emulator and compares its output with the host's. The first run installs
# the toolchains and emulators (MLC_SETUP_TARGETS=1 scripts/setup.sh, a few
# minutes once), hence the timeout; a run after that takes well under one.
foreach(target cortex-m aarch64 wasm)
  add_test(NAME target_${target} COMMAND bash ${CMAKE_SOURCE_DIR}/examples/${target}/run.sh
    $<TARGET_FILE:mlc> ${CMAKE_BINARY_DIR}/targets/${target})
  set_tests_properties(target_${target} PROPERTIES LABELS targets TIMEOUT 900)
endforeach()
