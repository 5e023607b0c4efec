/**
 * @file m7_cab_fir_reset_f32.c
 * @brief The fir method's reset: no past input.
 */
#include <string.h>

#include "m7_cab_internal.h"

void m7_cab_fir_reset_f32(m7_cab_fir_f32_t *s)
{
    memset(s->fir.pState, 0, M7_CAB_FIR_STATE_LEN(s->taps, s->block) * sizeof(float));
}
