/**
 * @file m7_matmul_f32.c
 * @brief Block matrix product: a block of frames times a (small) weight matrix, accumulated.
 *
 * Four frames share each weight load and keep four independent accumulators, which hides the FPU's
 * multiply-add latency and turns the per-sample matrix-vector product into matrix-matrix work. Each
 * value is one fmaf chain over c in order, whether its frame is in a group of 4 or in the tail.
 */
#include <math.h>

#include "m7_engine_internal.h"

M7E_HOT void m7_matmul_acc_f32(float *y, size_t ys, const float *x, size_t xs, const float *w, size_t ws,
                       size_t rows, size_t out, size_t in)
{
    for (size_t o = 0; o < out; o++) {
        const float *wo = w + o * ws;
        size_t i = 0;
        /* main loop: 4 frames at a time */
        for (; i + 4 <= rows; i += 4) {
            const float *x0 = x + i * xs;
            const float *x1 = x0 + xs;
            const float *x2 = x1 + xs;
            const float *x3 = x2 + xs;
            float a0 = y[i * ys + o];
            float a1 = y[(i + 1) * ys + o];
            float a2 = y[(i + 2) * ys + o];
            float a3 = y[(i + 3) * ys + o];
            for (size_t c = 0; c < in; c++) {
                const float wv = wo[c];
                a0 = fmaf(wv, x0[c], a0);
                a1 = fmaf(wv, x1[c], a1);
                a2 = fmaf(wv, x2[c], a2);
                a3 = fmaf(wv, x3[c], a3);
            }
            y[i * ys + o] = a0;
            y[(i + 1) * ys + o] = a1;
            y[(i + 2) * ys + o] = a2;
            y[(i + 3) * ys + o] = a3;
        }
        /* tail: the remaining 0-3 frames */
        for (; i < rows; i++) {
            const float *xi = x + i * xs;
            float a = y[i * ys + o];
            for (size_t c = 0; c < in; c++) {
                a = fmaf(wo[c], xi[c], a);
            }
            y[i * ys + o] = a;
        }
    }
}
