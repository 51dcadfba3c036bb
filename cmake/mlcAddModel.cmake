# mlc_add_model(<target> <model> [NAME prefix] [DIM n=v ...] [SHAPE in=dims ...]
#               [WEIGHTS inline|file|auto] [OPTIONS ...])
#
# Compiles <model> (.onnx or .onnxtxt, relative to the current source folder)
# with mlc at build time into CMAKE_CURRENT_BINARY_DIR/mlc/<target>/<prefix>.c
# and .h, and makes the static library <target> of it: the header's folder on
# its PUBLIC include path, linked to mlc::runtime. The C is made again when
# the model or the mlc executable changes. NAME is the prefix of the C
# symbols and the files' name (default: <target>, non-identifier characters
# as _); DIM, SHAPE and WEIGHTS are mlc compile's --dim, --shape and
# --weights, OPTIONS any other flags of mlc compile. With weights in a file
# (WEIGHTS file, or auto for a big model) the target's property MLC_WEIGHTS
# names it: <prefix>.weights beside the C, for the product to load.
#
# The mlc it runs: MLC_EXECUTABLE if set (a host build of mlc, for a runtime
# built with a cross toolchain), else the target mlc::mlc (this build's, or
# the installed package's).
function(mlc_add_model target model)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "NAME;WEIGHTS" "DIM;SHAPE;OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "mlc_add_model(${target}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(arg_NAME)
    set(prefix ${arg_NAME})
  else()
    string(MAKE_C_IDENTIFIER ${target} prefix)
  endif()
  if(MLC_EXECUTABLE)
    set(mlc_cmd ${MLC_EXECUTABLE})
    set(mlc_dep ${MLC_EXECUTABLE})
  elseif(TARGET mlc::mlc)
    get_target_property(real mlc::mlc ALIASED_TARGET)
    if(NOT real)
      set(real mlc::mlc)
    endif()
    set(mlc_cmd $<TARGET_FILE:${real}>)
    set(mlc_dep ${real} $<TARGET_FILE:${real}>)
  else()
    message(FATAL_ERROR "mlc_add_model(${target}): no mlc executable (this mlc is a runtime-only "
      "build): set MLC_EXECUTABLE to a host mlc")
  endif()
  get_filename_component(model_path ${model} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/mlc/${target})
  set(flags --name ${prefix})
  foreach(d IN LISTS arg_DIM)
    list(APPEND flags --dim ${d})
  endforeach()
  foreach(s IN LISTS arg_SHAPE)
    list(APPEND flags --shape ${s})
  endforeach()
  set(outputs ${dir}/${prefix}.c ${dir}/${prefix}.h)
  # (a weights file that `auto` may or may not write is no declared output:
  # a missing output would make the command run on every build)
  if(arg_WEIGHTS)
    list(APPEND flags --weights=${arg_WEIGHTS})
    if(arg_WEIGHTS STREQUAL "file")
      list(APPEND outputs ${dir}/${prefix}.weights)
    endif()
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${mlc_cmd} compile ${model_path} ${flags} ${arg_OPTIONS} -o ${dir}/${prefix}.c
    DEPENDS ${model_path} ${mlc_dep}
    COMMENT "mlc compile ${model} -> ${prefix}.c"
    VERBATIM)
  add_library(${target} STATIC ${dir}/${prefix}.c ${dir}/${prefix}.h)
  target_include_directories(${target} PUBLIC ${dir})
  target_link_libraries(${target} PUBLIC mlc::runtime)
  set_target_properties(${target} PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON
    MLC_WEIGHTS ${dir}/${prefix}.weights)
endfunction()
