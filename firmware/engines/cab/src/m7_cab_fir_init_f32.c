/**
 * @file m7_cab_fir_init_f32.c
 * @brief The fir method's init: arm_fir_f32 on a time-reversed copy of the IR.
 */
#include <string.h>

#include "m7_cab_internal.h"

m7_status_t m7_cab_fir_init_f32(m7_cab_fir_f32_t *s, const float *ir, uint32_t taps, uint32_t block,
                                float *coeffs, float *state)
{
    if (s == NULL || ir == NULL || coeffs == NULL || state == NULL) {
        return M7_ERR_NULL;
    }
    if (taps == 0u || block == 0u || taps > UINT16_MAX) {
        return M7_ERR_ARG;
    }
    for (uint32_t i = 0; i < taps; i++) {
        coeffs[i] = ir[taps - 1u - i]; /* {b[taps-1], ..., b[0]} */
    }
    s->block = block;
    s->taps = taps;
    arm_fir_init_f32(&s->fir, (uint16_t)taps, coeffs, state, block);
    m7_cab_fir_reset_f32(s);
    return M7_OK;
}
