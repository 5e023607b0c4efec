/**
 * @file m7_engine_internal.h
 * @brief Kernels shared by the engine's source files (not part of the public API).
 */
#ifndef M7_ENGINE_INTERNAL_H
#define M7_ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "m7_engine.h"

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

/** v = tanh(v) over n values. The only place the tanh of the f32 engine is computed. */
void m7_act_tanh_f32(float *v, size_t n);

/** v = sigmoid(v) over n values. The only place the sigmoid of the f32 engine is computed. */
void m7_act_sigmoid_f32(float *v, size_t n);

/** z[o] = tanh(a[o]) * sigmoid(a[c + o]) for o < c (z may equal a). */
void m7_act_gated_f32(float *z, const float *a, size_t c);

/**
 * One NAM or gated WaveNet layer over a block of n frames starting at sample time t.
 * x: the layer input/residual stream, cond: the mixer input, head/skip: where z goes,
 * tmp: n frames of model scratch_len floats, ring: the op's state.
 */
void m7_wavenet_layer_f32(const m7_op_f32_t *op, uint64_t t, size_t n, m7_view_f32_t x,
                          m7_view_f32_t dst, m7_view_f32_t cond, m7_view_f32_t head, m7_view_f32_t skip,
                          m7_view_f32_t tmp, float *ring);

/**
 * An LSTM or GRU op over a block of n frames: reads src (the model input), writes h to dst,
 * keeps h (and LSTM c) in state; tmp: n frames of model scratch_len floats (4H LSTM, 6H GRU).
 */
void m7_rnn_f32(const m7_op_f32_t *op, size_t n, m7_view_f32_t src, m7_view_f32_t dst,
                m7_view_f32_t tmp, float *state);

/* The q15 path's kernels are declared in m7_engine_q15_internal.h. */

#endif /* M7_ENGINE_INTERNAL_H */
