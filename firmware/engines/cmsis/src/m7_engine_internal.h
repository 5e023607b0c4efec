/**
 * @file m7_engine_internal.h
 * @brief Kernels shared by the engine's source files (not part of the public API).
 */
#ifndef M7_ENGINE_INTERNAL_H
#define M7_ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "m7_engine.h"

/**
 * M7E_HOT marks a hot kernel: on the target it runs from ITCM (zero wait states, copied there at reset
 * by the board's startup; see firmware/board/stm32f767zi.ld, 16 KB in all) and is never inlined, so a
 * profile attributes its cycles to it by name. On the host it is nothing. M7E_IN_FLASH (CMake
 * M7AMP_ENGINE_PLACEMENT=flash, a measurement option) leaves the kernels in flash.
 */
#if defined(__arm__) && !defined(M7E_IN_FLASH)
#define M7E_HOT __attribute__((section(".itcm"), noinline))
#elif defined(__arm__)
#define M7E_HOT __attribute__((noinline))
#else
#define M7E_HOT
#endif

/**
 * M7E_SPECIALISED is 1 unless the build defines M7E_GENERIC_KERNELS (a test option): then every kernel
 * takes its generic loop. The specialised kernels do the same fmaf operations in the same order, so
 * both builds give bit-identical output (tests/engines/test_engine_f32.py checks it).
 */
#if defined(M7E_GENERIC_KERNELS)
#define M7E_SPECIALISED 0
#else
#define M7E_SPECIALISED 1
#endif

/** A per-sample buffer over a block: frame i, channel c is p[i * stride + c]. */
typedef struct {
    float *p;
    size_t stride;
} m7_view_f32_t;

/**
 * y[i][o] += sum_c w[o][c] * x[i][c] for i < rows, o < out, c < in (row strides ys, xs, ws):
 * a block of frames times a transposed weight matrix, 4 frames at a time.
 */
void m7_matmul_acc_f32(float *y, size_t ys, const float *x, size_t xs, const float *w, size_t ws,
                       size_t rows, size_t out, size_t in);

/** y[o] += sum_c w[o][c] * x[c] for o < out, c < in (one frame: the RNN recurrence). */
void m7_matvec_acc_f32(float *y, const float *w, const float *x, size_t out, size_t in);

/** dst[i][k] = src[i][k] for i < n, k < c (row strides ds, ss; the regions do not overlap). */
void m7_copy_frames_f32(float *dst, size_t ds, const float *src, size_t ss, size_t n, size_t c);

/**
 * The model's 1x1 conv over n frames: dst[i][o] = b[o] + sum_c w[o][c] * src[i][c] (b may be NULL).
 * dst may be the same buffer as src (then tmp, n * out floats, holds the result first).
 */
void m7_1x1_f32(m7_view_f32_t dst, m7_view_f32_t src, const float *w, const float *b, size_t n, size_t out,
                size_t in, float *tmp);

/** v = tanh(v) over n values. The only place the tanh of the f32 engine is computed. */
void m7_act_tanh_f32(float *v, size_t n);

/** v = sigmoid(v) over n values. The only place the sigmoid of the f32 engine is computed. */
void m7_act_sigmoid_f32(float *v, size_t n);

/**
 * Gated activation over n frames: z[i][o] = tanh(a[i][o]) * sigmoid(a[i][c + o]) for o < c, with a
 * dense (2c values per frame) and z dense (c per frame); z may equal a.
 */
void m7_act_gated_f32(float *z, const float *a, size_t n, size_t c);

/** The number of buffer ids (m7_buf_t: M7_BUF_NONE .. M7_BUF_OUT). */
#define M7_F32_NBUFS 9u

/**
 * One chunk's block buffers, built once per process() call: buf[b] is the view of buffer id b
 * ({NULL, 0} for M7_BUF_NONE), tmp n frames of the model's scratch_len floats, t the sample time of
 * the chunk's first frame. The layers take a pointer to it (views passed by value cost stack copies
 * at every call).
 */
typedef struct {
    m7_view_f32_t buf[M7_F32_NBUFS];
    m7_view_f32_t tmp;
    uint64_t t;
} m7_chunk_f32_t;

/** The view of buffer id b in chunk k ({NULL, 0} for an id outside m7_buf_t). */
static inline m7_view_f32_t m7_chunk_view_f32(const m7_chunk_f32_t *k, uint8_t b)
{
    return k->buf[b < M7_F32_NBUFS ? b : M7_BUF_NONE];
}

/**
 * One NAM or gated WaveNet layer over a block of n frames starting at sample time k->t.
 * x = buffer g.src: the layer input/residual stream, dst: where the residual goes, cond: the mixer
 * input, HEAD/SKIP: where z goes, k->tmp: used densely (n frames of C or 2C), ring: the op's state.
 */
void m7_wavenet_layer_f32(const m7_op_f32_t *op, size_t n, const m7_chunk_f32_t *k, float *ring);

/**
 * An LSTM or GRU op over a block of n frames: reads src (the model input), writes h to dst,
 * keeps h (and LSTM c) in state; tmp: n frames of model scratch_len floats (4H LSTM, 6H GRU).
 */
void m7_rnn_f32(const m7_op_f32_t *op, size_t n, m7_view_f32_t src, m7_view_f32_t dst,
                m7_view_f32_t tmp, float *state);

/* The q15 path's kernels are declared in m7_engine_q15_internal.h. */

#endif /* M7_ENGINE_INTERNAL_H */
