/**
 * @file m7_cab_fft_process_f32.c
 * @brief One block of uniformly partitioned overlap-save convolution.
 *
 * frame = [previous block | this block] (2B samples) -> its spectrum X enters the delay line;
 * Y = sum over p of X(now - p) * H(p); y = IFFT(Y); the output is y[B..2B-1], the half of the circular
 * convolution that equals the linear one (each H(p) is B taps zero padded to 2B).
 */
#include <string.h>

#include "m7_cab_internal.h"

void m7_cab_fft_process_f32(m7_cab_fft_f32_t *s, const float *in, float *out)
{
    const uint32_t b = s->block, n2 = 2u * b;
    float *frame = s->work, *buf = s->work + n2, *acc = s->work + 2u * n2;

    /* frame: slide by one block; the FFT gets a copy (it overwrites its input) */
    memcpy(frame, frame + b, b * sizeof(float));
    memcpy(frame + b, in, b * sizeof(float));
    memcpy(buf, frame, n2 * sizeof(float));
    s->newest = s->newest == 0u ? s->parts - 1u : s->newest - 1u;
    arm_rfft_fast_f32(&s->fft, buf, s->fdl + s->newest * n2, 0u);

    /* Y: partition p meets the spectrum p blocks old, at ring slot newest + p */
    m7_cab_cmac_f32(acc, s->fdl, s->newest, s->h, s->parts, b);
    arm_rfft_fast_f32(&s->fft, acc, buf, 1u);
    memcpy(out, buf + b, b * sizeof(float));
}
