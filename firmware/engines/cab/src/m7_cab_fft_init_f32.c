/**
 * @file m7_cab_fft_init_f32.c
 * @brief The fft method's init: the IR's partition spectra, computed once with the same FFT that runs
 *        per block.
 */
#include <string.h>

#include "m7_cab_internal.h"

m7_status_t m7_cab_fft_init_f32(m7_cab_fft_f32_t *s, const float *ir, uint32_t taps, uint32_t block, float *h,
                                float *fdl, float *work)
{
    if (s == NULL || ir == NULL || h == NULL || fdl == NULL || work == NULL) {
        return M7_ERR_NULL;
    }
    if (taps == 0u || block < M7_CAB_FFT_MIN_BLOCK || block > M7_CAB_FFT_MAX_BLOCK || (block & (block - 1u))) {
        return M7_ERR_ARG;
    }
    if (!M7_CAB_ALIGNED4(h) || !M7_CAB_ALIGNED4(fdl) || !M7_CAB_ALIGNED4(work)) {
        return M7_ERR_ALIGN;
    }
    if (arm_rfft_fast_init_f32(&s->fft, (uint16_t)(2u * block)) != ARM_MATH_SUCCESS) {
        return M7_ERR_ARG;
    }
    s->block = block;
    s->parts = M7_CAB_FFT_PARTS(taps, block);
    s->h = h;
    s->fdl = fdl;
    s->work = work;
    float *buf = work + 2u * block; /* the fft buffer: arm_rfft_fast_f32 overwrites its input */
    for (uint32_t p = 0; p < s->parts; p++) {
        uint32_t first = p * block;
        uint32_t n = taps - first < block ? taps - first : block;
        memset(buf, 0, 2u * block * sizeof(float));
        memcpy(buf, ir + first, n * sizeof(float));
        arm_rfft_fast_f32(&s->fft, buf, h + p * 2u * block, 0u);
    }
    m7_cab_fft_reset_f32(s);
    return M7_OK;
}
