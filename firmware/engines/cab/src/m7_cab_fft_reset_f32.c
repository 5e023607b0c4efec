/**
 * @file m7_cab_fft_reset_f32.c
 * @brief The fft method's reset: no past input.
 */
#include <string.h>

#include "m7_cab_internal.h"

void m7_cab_fft_reset_f32(m7_cab_fft_f32_t *s)
{
    memset(s->fdl, 0, (size_t)s->parts * 2u * s->block * sizeof(float));
    memset(s->work, 0, M7_CAB_FFT_WORK_LEN(s->block) * sizeof(float));
    s->newest = 0u;
}
