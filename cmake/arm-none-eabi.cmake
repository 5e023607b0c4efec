# CMake toolchain file: GNU Arm Embedded (arm-none-eabi-gcc) for the STM32F767 (Cortex-M7, FPv5-D16).
# Use:  cmake -S . -B build/fw -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size")

# Compiler checks link a test program: make it a static library (no startup code, no linker script).
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(M7_CPU_FLAGS "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
set(CMAKE_C_FLAGS_INIT "${M7_CPU_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${M7_CPU_FLAGS}")
# newlib-nano for the few libc pieces used (memcpy, memset); no syscalls and no _sbrk are provided,
# so anything that pulls in malloc or stdio fails to link.
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs -nostartfiles -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

set(M7AMP_TARGET_ARM ON)

# C++ only for the optional tflm engine (TensorFlow Lite Micro is C++); enabled by firmware/CMakeLists.txt.
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_CXX_FLAGS_INIT "${M7_CPU_FLAGS}")
