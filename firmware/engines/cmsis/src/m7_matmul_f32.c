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

/* The RNN products are in flash, not ITCM (full with the WaveNet kernels); they run from the I-cache. */
__attribute__((noinline)) void m7_matmul_acc_f32(float *y, size_t ys, const float *x, size_t xs, const float *w,
                                                  size_t ws, size_t rows, size_t out, size_t in)
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

__attribute__((noinline)) void m7_matvec_acc_f32(float *y, const float *w, const float *x, size_t out, size_t in)
{
    /* four outputs at a time: four independent chains (one output's chain alone waits 3 cycles per VFMA) */
    size_t o = 0;
    for (; o + 4u <= out; o += 4u) {
        const float *w0 = w + o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
        float a0 = y[o], a1 = y[o + 1u], a2 = y[o + 2u], a3 = y[o + 3u];
        for (size_t c = 0; c < in; c++) {
            const float xc = x[c];
            a0 = fmaf(w0[c], xc, a0);
            a1 = fmaf(w1[c], xc, a1);
            a2 = fmaf(w2[c], xc, a2);
            a3 = fmaf(w3[c], xc, a3);
        }
        y[o] = a0;
        y[o + 1u] = a1;
        y[o + 2u] = a2;
        y[o + 3u] = a3;
    }
    for (; o < out; o++) {
        const float *wo = w + o * in;
        float a = y[o];
        for (size_t c = 0; c < in; c++) {
            a = fmaf(wo[c], x[c], a);
        }
        y[o] = a;
    }
}

/* On the M7, LDRD/STRD move two words per cycle (one STR per cycle otherwise: the store port).
 * M7_COPY_LDRD copies 8 words, four LDRD at the source byte offsets SO0..SO3, then four STRD at DO0..DO3
 * (8 dense words: 0, 8, 16, 24 both sides; four 2-value frames from a stride-4 source to a stride-2
 * destination, nano's 2-channel rings from the 4-wide X: 0, 16, 32, 48 to 0, 8, 16, 24). */
#if defined(__arm__)
#define M7_COPY_LDRD(SO0, SO1, SO2, SO3, DO0, DO1, DO2, DO3, dst, src)                              \
    do {                                                                                       \
        uint32_t r0_, r1_, r2_, r3_, r4_, r5_, r6_, r7_;                                         \
        __asm__ volatile("ldrd %0, %1, [%[s], #" #SO0 "]\n"                                      \
                         "ldrd %2, %3, [%[s], #" #SO1 "]\n"                                      \
                         "ldrd %4, %5, [%[s], #" #SO2 "]\n"                                      \
                         "ldrd %6, %7, [%[s], #" #SO3 "]\n"                                      \
                         "strd %0, %1, [%[d], #" #DO0 "]\n"                                      \
                         "strd %2, %3, [%[d], #" #DO1 "]\n"                                      \
                         "strd %4, %5, [%[d], #" #DO2 "]\n"                                      \
                         "strd %6, %7, [%[d], #" #DO3 "]\n"                                      \
                         : "=&r"(r0_), "=&r"(r1_), "=&r"(r2_), "=&r"(r3_), "=&r"(r4_), "=&r"(r5_), \
                           "=&r"(r6_), "=&r"(r7_)                                                \
                         : [s] "r"(src), [d] "r"(dst)                                           \
                         : "memory");                                                          \
    } while (0)

/* One 4-value frame: two LDRD, two STRD. */
#define M7_COPY4_LDRD(dst, src)                                                                  \
    do {                                                                                       \
        uint32_t r0_, r1_, r2_, r3_;                                                           \
        __asm__ volatile("ldrd %0, %1, [%[s]]\n"                                                \
                         "ldrd %2, %3, [%[s], #8]\n"                                            \
                         "strd %0, %1, [%[d]]\n"                                                \
                         "strd %2, %3, [%[d], #8]\n"                                            \
                         : "=&r"(r0_), "=&r"(r1_), "=&r"(r2_), "=&r"(r3_)                        \
                         : [s] "r"(src), [d] "r"(dst)                                           \
                         : "memory");                                                          \
    } while (0)
#endif

/* dst[k] = src[k] for k < n: eight values per step (LDRD/STRD on the M7), then four, then one. */
static inline void copy_run(float *dst, const float *src, size_t n)
{
    size_t k = 0;
#if defined(__arm__)
    for (; k + 8u <= n; k += 8u) {
        M7_COPY_LDRD(0, 8, 16, 24, 0, 8, 16, 24, dst + k, src + k);
    }
#endif
    for (; k + 4u <= n; k += 4u) {
        const float v0 = src[k], v1 = src[k + 1u], v2 = src[k + 2u], v3 = src[k + 3u];
        dst[k] = v0;
        dst[k + 1u] = v1;
        dst[k + 2u] = v2;
        dst[k + 3u] = v3;
    }
    for (; k < n; k++) {
        dst[k] = src[k];
    }
}

M7E_HOT void m7_copy_frames_f32(float *dst, size_t ds, const float *src, size_t ss, size_t n, size_t c)
{
    if (ds == c && ss == c) { /* both dense: one run */
        copy_run(dst, src, n * c);
        return;
    }
    size_t i = 0;
#if defined(__arm__)
    if (c == 2u && ds == 2u && ss == 4u) { /* four frames per step */
        for (; i + 4u <= n; i += 4u, dst += 8, src += 16) {
            M7_COPY_LDRD(0, 16, 32, 48, 0, 8, 16, 24, dst, src);
        }
    } else if (c == 4u) { /* feather's 4-channel rings from the 8-wide X */
        for (; i < n; i++, dst += ds, src += ss) {
            M7_COPY4_LDRD(dst, src);
        }
    }
#endif
    if (c == 2u) { /* two frames per step */
        for (; i + 2u <= n; i += 2u, dst += 2u * ds, src += 2u * ss) {
            const float v0 = src[0], v1 = src[1], v2 = src[ss], v3 = src[ss + 1u];
            dst[0] = v0;
            dst[1] = v1;
            dst[ds] = v2;
            dst[ds + 1u] = v3;
        }
    }
    for (; i < n; i++, dst += ds, src += ss) {
        copy_run(dst, src, c);
    }
}

/* The 1x1 with compile-time sizes (nano's input, rechannel and head ops: 1 -> 4, 4 -> 2, 2 -> 1), four
 * frames per pass: out * 4 independent chains, weights and biases in registers, each pass reads its four
 * frames before it writes them (so in place needs no tmp). The remaining frames take one per pass, in the
 * same per-value order (bias, then input channel by channel). */
static inline __attribute__((always_inline)) void small_frames(float *y, size_t ds, const float *x, size_t ss,
                                                               const float *wr, const float *br, size_t nf,
                                                               size_t out, size_t in)
{
    float xv[4][4], a[4][4];
#pragma GCC unroll 4
    for (size_t f = 0; f < nf; f++) {
#pragma GCC unroll 4
        for (size_t c = 0; c < in; c++) {
            xv[f][c] = x[f * ss + c];
        }
    }
#pragma GCC unroll 4
    for (size_t c = 0; c < in; c++) {
#pragma GCC unroll 4
        for (size_t f = 0; f < nf; f++) {
#pragma GCC unroll 4
            for (size_t o = 0; o < out; o++) {
                a[f][o] = fmaf(wr[o * in + c], xv[f][c], c == 0u ? br[o] : a[f][o]);
            }
        }
    }
#pragma GCC unroll 4
    for (size_t f = 0; f < nf; f++) {
#pragma GCC unroll 4
        for (size_t o = 0; o < out; o++) {
            y[f * ds + o] = a[f][o];
        }
    }
}

static inline __attribute__((always_inline)) void small_1x1(m7_view_f32_t dst, m7_view_f32_t src, const float *w,
                                                            const float *b, size_t n, size_t out_, size_t in_)
{
    const size_t out = out_, in = in_;
    const size_t ss = src.stride, ds = dst.stride;
    float wr[8], br[4];
#pragma GCC unroll 8
    for (size_t q = 0; q < out * in; q++) {
        wr[q] = w[q];
    }
#pragma GCC unroll 4
    for (size_t o = 0; o < out; o++) {
        br[o] = b ? b[o] : 0.0f;
    }
    const float *x = src.p;
    float *y = dst.p;
    size_t i = 0;
    for (; i + 4u <= n; i += 4u, x += 4u * ss, y += 4u * ds) {
        small_frames(y, ds, x, ss, wr, br, 4u, out, in);
    }
    for (; i < n; i++, x += ss, y += ds) {
        small_frames(y, ds, x, ss, wr, br, 1u, out, in);
    }
}

M7E_HOT void m7_1x1_f32(m7_view_f32_t dst, m7_view_f32_t src, const float *w, const float *b, size_t n,
                        size_t out, size_t in, float *tmp)
{
    /* in place is safe here when both views have the same stride: a pass reads its frames fully before
     * it writes them */
    const int same = dst.p != src.p || dst.stride == src.stride;
    if (M7E_SPECIALISED && same && out == 2u && in == 4u) {
        small_1x1(dst, src, w, b, n, 2u, 4u);
        return;
    }
    if (M7E_SPECIALISED && same && out == 1u && in == 2u) {
        small_1x1(dst, src, w, b, n, 1u, 2u);
        return;
    }
    if (M7E_SPECIALISED && same && out == 4u && in == 1u) {
        small_1x1(dst, src, w, b, n, 4u, 1u);
        return;
    }

    /* in place (same buffer: X -> X, HEAD -> HEAD) goes through tmp, as a frame's outputs may overwrite
     * inputs that its later outputs still read */
    const int in_place = dst.p == src.p;
    float *y = in_place ? tmp : dst.p;
    const size_t ys = in_place ? out : dst.stride;
    /* two frames per pass: two independent chains per output (the sizes here are small: 1..8) */
    size_t i = 0;
    for (; i + 2u <= n; i += 2u) {
        const float *x0 = src.p + i * src.stride, *x1 = x0 + src.stride;
        float *y0 = y + i * ys, *y1 = y0 + ys;
        for (size_t o = 0; o < out; o++) {
            const float *wo = w + o * in;
            float a0 = b ? b[o] : 0.0f, a1 = a0;
            for (size_t c = 0; c < in; c++) {
                a0 = fmaf(wo[c], x0[c], a0);
                a1 = fmaf(wo[c], x1[c], a1);
            }
            y0[o] = a0;
            y1[o] = a1;
        }
    }
    if (i < n) {
        const float *x0 = src.p + i * src.stride;
        for (size_t o = 0; o < out; o++) {
            const float *wo = w + o * in;
            float a0 = b ? b[o] : 0.0f;
            for (size_t c = 0; c < in; c++) {
                a0 = fmaf(wo[c], x0[c], a0);
            }
            y[i * ys + o] = a0;
        }
    }
    if (in_place) {
        m7_copy_frames_f32(dst.p, dst.stride, tmp, out, n, out);
    }
}
