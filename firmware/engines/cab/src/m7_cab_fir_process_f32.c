/**
 * @file m7_cab_fir_process_f32.c
 * @brief One block of the direct-form FIR (arm_fir_f32).
 */
#include "m7_cab_internal.h"

void m7_cab_fir_process_f32(m7_cab_fir_f32_t *s, const float *in, float *out)
{
    arm_fir_f32(&s->fir, in, out, s->block);
}
