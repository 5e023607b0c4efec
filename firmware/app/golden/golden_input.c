/* The golden input, in flash: zeros in the ELF, overwritten by the host before the run (main.c). */
#include "golden.h"

const golden_sample_t golden_input[M7AMP_GOLDEN_SAMPLES] = {1};
