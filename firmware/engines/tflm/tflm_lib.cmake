# TensorFlow Lite Micro as the static library m7_tflm, from a tree made by TFLM's create_tflm_tree.py.
# One definition for both ways it is built:
#   - firmware/engines/tflm/lib/: a project of its own, built once per tree into build/tflm/lib-<tree>-<key>/
#     by m7amp (m7amp/tflm.py tflm_library) and linked by every firmware build as an imported library;
#   - firmware/engines/tflm/tflm.cmake: compiled inside a firmware build when no prebuilt library is given
#     (a plain `cmake -DM7AMP_TFLM_DIR=...` build).
# The sources are TFLM's framework (everything outside kernels/, less test helpers) and the kernels of the
# ops the m7amp streaming models use (M7AMP_TFLM_KERNELS), the CMSIS-NN ones replacing the reference ones
# when the tree has them, with the flags TFLM's Makefile uses for a release Cortex-M build.

# The firmware's code flags (firmware/CMakeLists.txt M7_FW_FLAGS), so that both builds compile TFLM alike.
set(M7_TFLM_CODE_FLAGS -O2 -g -ffunction-sections -fdata-sections)
set(M7AMP_TFLM_KERNELS "add;assign_variable;call_once;concatenation;conv;dequantize;fully_connected;logistic;mul;pack;pad;quantize;read_variable;reshape;split;strided_slice;sub;tanh;unpack;var_handle"
    CACHE STRING "tflm engine: TFLM kernel files (kernels/<name>.cc and <name>_common.cc) built into m7_tflm")

# m7_tflm_usage(<target> <INTERFACE|PUBLIC> <tree>): the include folders and definitions users of m7_tflm need.
function(m7_tflm_usage target scope tree)
    target_include_directories(${target} SYSTEM ${scope}
        ${tree} ${tree}/third_party/flatbuffers/include ${tree}/third_party/gemmlowp ${tree}/third_party/ruy)
    target_compile_definitions(${target} ${scope}
        TF_LITE_STATIC_MEMORY TF_LITE_STRIP_ERROR_STRINGS TF_LITE_MCU_DEBUG_LOG NDEBUG)
    if(EXISTS ${tree}/third_party/cmsis_nn/Include/arm_nnfunctions.h)
        target_include_directories(${target} SYSTEM ${scope}
            ${tree}/third_party/cmsis_nn ${tree}/third_party/cmsis_nn/Include
            ${tree}/third_party/cmsis/CMSIS/Core/Include)
        target_compile_definitions(${target} ${scope} CMSIS_NN)
    endif()
endfunction()

# m7_tflm_library(<target> <tree>): the static library compiled from the tree.
function(m7_tflm_library target tree)
    file(GLOB_RECURSE sources ${tree}/tensorflow/*.cc ${tree}/tensorflow/*.c)
    list(FILTER sources EXCLUDE REGEX "/micro/kernels/|/(test_helper|mock_|fake_|recording_)[^/]*$")
    set(kernels ${tree}/tensorflow/lite/micro/kernels)
    foreach(k kernel_util micro_tensor_utils ${M7AMP_TFLM_KERNELS})
        foreach(f ${kernels}/cmsis_nn/${k}.cc ${kernels}/${k}.cc ${kernels}/${k}_common.cc)
            if(EXISTS ${f})
                list(APPEND sources ${f})
            endif()
        endforeach()
    endforeach()
    set(cmsis_nn OFF)
    if(EXISTS ${tree}/third_party/cmsis_nn/Include/arm_nnfunctions.h)
        set(cmsis_nn ON)
        file(GLOB_RECURSE nn_sources ${tree}/third_party/cmsis_nn/Source/*.c)
        list(APPEND sources ${nn_sources})
    endif()
    add_library(${target} STATIC ${sources})
    m7_tflm_usage(${target} PUBLIC ${tree})
    target_compile_options(${target} PRIVATE ${M7_TFLM_CODE_FLAGS} -w
        $<$<COMPILE_LANGUAGE:CXX>:-std=c++17 -fno-rtti -fno-exceptions -fno-threadsafe-statics
                                   -fno-unwind-tables -fno-asynchronous-unwind-tables>)
    list(LENGTH sources n)
    message(STATUS "tflm engine: compiling TFLM from ${tree} (${n} files, CMSIS-NN kernels: ${cmsis_nn})")
endfunction()
