# Small-target memory (included by tests/CMakeLists.txt): the seed MLP's
# arena stays within 1 KiB, since its products are too thin to pack and so
# need no GEMM scratch (runtime/mlc_rt_nn.h, mlc_rt_gemm_packs)
add_test(NAME memory_arena_mlp COMMAND ${Python3_EXECUTABLE} ${T}/memory/arena.py
  --mlc $<TARGET_FILE:mlc> --max 1024 ${CMAKE_SOURCE_DIR}/models/mlp.onnxtxt --dim batch=1)
set_tests_properties(memory_arena_mlp PROPERTIES LABELS cli)
