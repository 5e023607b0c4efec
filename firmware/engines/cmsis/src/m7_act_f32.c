/**
 * @file m7_act_f32.c
 * @brief Activations of the f32 engine, in one place: exact <math.h> tanhf/expf for now (a later
 *        change swaps in fast approximations with a stated error bound here and nowhere else).
 */
#include <math.h>

#include "m7_engine_internal.h"

static inline float act_tanh(float v) { return tanhf(v); }

static inline float act_sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

void m7_act_tanh_f32(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = act_tanh(v[i]);
    }
}

void m7_act_sigmoid_f32(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = act_sigmoid(v[i]);
    }
}

void m7_act_gated_f32(float *z, const float *a, size_t c)
{
    /* z[o] may overwrite a[o]: both a[o] and a[c + o] are read before it is written */
    for (size_t o = 0; o < c; o++) {
        const float t = act_tanh(a[o]);
        const float s = act_sigmoid(a[c + o]);
        z[o] = t * s;
    }
}
