/**
 * @file m7_kernels_q15.c
 * @brief Integer kernels of the q15 engine: rounding shifts, saturation, the exact dot product and
 *        block matrix product, and the activations, all bit-exact with m7amp/export/_reference.py.
 *
 * Activations follow the reference literally: the exact value acc * 2^-frac in double, tanh/sigmoid in
 * double, then round-half-even (numpy's round; rint() in the default rounding mode) of v * 32768,
 * saturated to int16. A fast approximation with a stated error bound replaces them here later.
 */
#include <math.h>

#include "m7_engine_internal.h"

int64_t m7_shift_round_q15(int64_t v, int s)
{
    if (s > 0) {
        /* arithmetic right shift (floor) of v + half: round half up, as numpy's >> on int64 */
        return (v + ((int64_t)1 << (s - 1))) >> s;
    }
    return v * ((int64_t)1 << -s); /* exact; a multiply avoids left-shifting a negative value (UB) */
}

int16_t m7_sat16(int64_t v)
{
    return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v));
}

int32_t m7_sat32(int64_t v)
{
    return (int32_t)(v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v));
}

int64_t m7_dot_q15(const int16_t *x, const int16_t *w, size_t n)
{
    /* each product fits int32; the sum is kept in 64 bits so it is exact for any length */
    int64_t a = 0;
    for (size_t c = 0; c < n; c++) {
        a += (int32_t)x[c] * (int32_t)w[c];
    }
    return a;
}

void m7_matmul_acc_q15(int64_t *y, size_t ys, const int16_t *x, size_t xs, const int16_t *w, size_t ws,
                       size_t rows, size_t out, size_t in)
{
    for (size_t i = 0; i < rows; i++) {
        const int16_t *xi = x + i * xs;
        int64_t *yi = y + i * ys;
        for (size_t o = 0; o < out; o++) {
            yi[o] += m7_dot_q15(xi, w + o * ws, in);
        }
    }
}

static int16_t to_q15(double v)
{
    const double r = rint(v * 32768.0);
    return (int16_t)(r > 32767.0 ? 32767.0 : (r < -32768.0 ? -32768.0 : r));
}

int16_t m7_act_tanh_q15(int64_t acc, int frac)
{
    return to_q15(tanh(ldexp((double)acc, -frac)));
}

int16_t m7_act_sigmoid_q15(int64_t acc, int frac)
{
    return to_q15(1.0 / (1.0 + exp(-ldexp((double)acc, -frac))));
}
