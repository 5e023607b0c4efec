# CMSIS-DSP from the `cmsisdsp` source distribution on PyPI (the C sources ship in it: Include/,
# PrivateInclude/, Source/). The build downloads it once with pip into a cache
#   $M7AMP_CACHE, else ~/.cache/m7amp
# checks its SHA-256, extracts it into the build tree and compiles the family "all-in-one" files into
# the static library `cmsisdsp`. On Cortex-M its headers include "cmsis_compiler.h": the
# project-written one in firmware/cmsis/ is used.
set(M7_CMSISDSP_VERSION 1.10.3)
set(M7_CMSISDSP_SHA256 307d32298faa7c58db912851027fce35f886fec7eb1a27c4b309ce1a97f47519)

if(DEFINED ENV{M7AMP_CACHE} AND NOT "$ENV{M7AMP_CACHE}" STREQUAL "")
    set(M7_CACHE_DIR "$ENV{M7AMP_CACHE}")
else()
    set(M7_CACHE_DIR "$ENV{HOME}/.cache/m7amp")
endif()
set(M7_CMSISDSP_TARBALL "${M7_CACHE_DIR}/cmsisdsp-${M7_CMSISDSP_VERSION}.tar.gz")

if(NOT EXISTS "${M7_CMSISDSP_TARBALL}")
    if(NOT M7AMP_PYTHON)
        if(EXISTS "${PROJECT_SOURCE_DIR}/.venv/bin/python")
            set(M7AMP_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python")
        else()
            find_package(Python3 REQUIRED COMPONENTS Interpreter)
            set(M7AMP_PYTHON "${Python3_EXECUTABLE}")
        endif()
    endif()
    message(STATUS "Downloading cmsisdsp==${M7_CMSISDSP_VERSION} (sdist) into ${M7_CACHE_DIR}")
    file(MAKE_DIRECTORY "${M7_CACHE_DIR}")
    # --no-build-isolation: pip still reads the sdist's metadata, but with the packages already in this
    # environment instead of building numpy from source in an isolated one.
    execute_process(
        COMMAND "${M7AMP_PYTHON}" -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation
                "cmsisdsp==${M7_CMSISDSP_VERSION}" -d "${M7_CACHE_DIR}"
        RESULT_VARIABLE m7_pip_result
        OUTPUT_VARIABLE m7_pip_out
        ERROR_VARIABLE m7_pip_out)
    if(NOT m7_pip_result EQUAL 0 OR NOT EXISTS "${M7_CMSISDSP_TARBALL}")
        message(FATAL_ERROR "pip could not download cmsisdsp==${M7_CMSISDSP_VERSION}:\n${m7_pip_out}")
    endif()
endif()

file(SHA256 "${M7_CMSISDSP_TARBALL}" m7_cmsisdsp_actual)
if(NOT m7_cmsisdsp_actual STREQUAL M7_CMSISDSP_SHA256)
    message(FATAL_ERROR "${M7_CMSISDSP_TARBALL}: SHA-256 ${m7_cmsisdsp_actual}, expected "
                        "${M7_CMSISDSP_SHA256}. Delete the file to download it again.")
endif()

set(M7_CMSISDSP_ROOT "${CMAKE_BINARY_DIR}/_deps/cmsisdsp-${M7_CMSISDSP_VERSION}")
if(NOT EXISTS "${M7_CMSISDSP_ROOT}/.extracted")
    file(ARCHIVE_EXTRACT INPUT "${M7_CMSISDSP_TARBALL}" DESTINATION "${CMAKE_BINARY_DIR}/_deps"
         PATTERNS "cmsisdsp-${M7_CMSISDSP_VERSION}/Include" "cmsisdsp-${M7_CMSISDSP_VERSION}/PrivateInclude"
                  "cmsisdsp-${M7_CMSISDSP_VERSION}/Source" "cmsisdsp-${M7_CMSISDSP_VERSION}/LICENSE")
    file(TOUCH "${M7_CMSISDSP_ROOT}/.extracted")
endif()

set(M7_CMSISDSP_FAMILIES
    BasicMathFunctions
    CommonTables
    ComplexMathFunctions
    ControllerFunctions
    DistanceFunctions
    FastMathFunctions
    FilteringFunctions
    InterpolationFunctions
    MatrixFunctions
    QuaternionMathFunctions
    StatisticsFunctions
    SupportFunctions
    TransformFunctions
    WindowFunctions
)
set(m7_cmsisdsp_sources "")
foreach(family IN LISTS M7_CMSISDSP_FAMILIES)
    list(APPEND m7_cmsisdsp_sources "${M7_CMSISDSP_ROOT}/Source/${family}/${family}.c")
endforeach()

add_library(cmsisdsp STATIC ${m7_cmsisdsp_sources})
target_include_directories(cmsisdsp
    PUBLIC "${M7_CMSISDSP_ROOT}/Include" "${PROJECT_SOURCE_DIR}/firmware/cmsis"
    PRIVATE "${M7_CMSISDSP_ROOT}/PrivateInclude")
target_compile_definitions(cmsisdsp PUBLIC ARM_MATH_DSP=1 ARM_MATH_LOOPUNROLL)
# Third-party code: its own warnings are not errors here (ours are, in M7_WARNINGS).
target_compile_options(cmsisdsp PRIVATE -O2 -g -ffunction-sections -fdata-sections -Wno-error)
