/* The golden app's input and output buffers (see main.c). */
#ifndef GOLDEN_H
#define GOLDEN_H

#include <stdint.h>

#if M7AMP_GOLDEN_SAMPLES % M7AMP_GOLDEN_BLOCK != 0
#error "M7AMP_GOLDEN_SAMPLES must be a multiple of M7AMP_GOLDEN_BLOCK"
#endif

#if M7AMP_MODEL_Q15
typedef int16_t golden_sample_t;
#else
typedef float golden_sample_t;
#endif

/* In its own file so that the compiler cannot fold its (host-written) contents into main.c. */
extern const golden_sample_t golden_input[M7AMP_GOLDEN_SAMPLES];
extern golden_sample_t golden_output[M7AMP_GOLDEN_SAMPLES];

#endif /* GOLDEN_H */
