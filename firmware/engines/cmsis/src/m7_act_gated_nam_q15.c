/**
 * @file m7_act_gated_nam_q15.c
 * @brief Activation of a NAM layer with gating (NAM's gating_mode "gated") in q15: the gated layer's
 *        z = (tanh(a[o]) * sigmoid(a[c+o]) + 2^14) >> 15 (m7_act_gated_q15, the same integers), added
 *        to the int32 head as the NAM tanh layer does. Kept apart from the tuned kernels on purpose.
 */
#include <stdint.h>

#include "m7_engine_q15_internal.h"

void m7_act_gated_head_q15(const int32_t *a, size_t as, int acc_frac, int16_t *z, int32_t *head, size_t hs,
                           size_t n, size_t c)
{
    /* z dense (stride c); the kernel's skip copy goes to z itself (the same value stored twice) */
    m7_act_gated_q15(a, as, acc_frac, z, c, z, c, n, c);
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < c; o++) {
            head[i * hs + o] += z[i * c + o];
        }
    }
}
