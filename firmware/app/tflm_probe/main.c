/*
 * tflm_probe - the smallest tensor arena the configured model runs in with the tflm engine.
 *
 * TFLM's arena_used_bytes() after AllocateTensors understates the need (planning temporaries and the
 * resource variables allocated at the first Invoke come on top), so this app bisects: an arena size
 * passes when init succeeds and one block processes. Prints (parsed by m7amp/tflm.py):
 *   M7AMP TFLM ARENA need=<bytes> used=<arena_used_bytes at that size>
 */
#include <stdint.h>

#include "m7_board.h"
#include "m7_engine.h"
#include "m7_engine_tflm.h"
#include M7AMP_MODEL_HEADER

#define MAX_BLOCK 256u /* largest model block the probe can run */

static uint64_t arena[M7AMP_TFLM_ARENA_BYTES / 8u] __attribute__((aligned(16)));
#if M7AMP_MODEL_Q15
static int16_t zeros[MAX_BLOCK], out[MAX_BLOCK];
#else
static float zeros[MAX_BLOCK], out[MAX_BLOCK];
#endif

static int runs_in(uint32_t bytes)
{
#if M7AMP_MODEL_Q15
    static m7_engine_q15_t eng;
    if (m7_engine_init_q15(&eng, &M7AMP_MODEL_DESC, NULL, 0, arena, bytes, MAX_BLOCK) != M7_OK) {
        return 0;
    }
    size_t block = m7_engine_tflm_block();
    return block <= MAX_BLOCK && m7_engine_process_q15(&eng, zeros, NULL, out, block) == M7_OK;
#else
    static m7_engine_f32_t eng;
    if (m7_engine_init_f32(&eng, &M7AMP_MODEL_DESC, NULL, 0, (float *)arena, bytes, MAX_BLOCK) != M7_OK) {
        return 0;
    }
    size_t block = m7_engine_tflm_block();
    return block <= MAX_BLOCK && m7_engine_process_f32(&eng, zeros, NULL, out, block) == M7_OK;
#endif
}

int main(void)
{
    m7_board_init();
    uint32_t lo = 0, hi = sizeof arena; /* runs_in(hi) must hold; runs_in(lo) does not */
    if (!runs_in(hi)) {
        m7_printf("M7AMP TFLM ARENA FAIL: the model does not run in %lu bytes\r\n", (unsigned long)hi);
        m7_exit(M7_EXIT_FAIL);
    }
    while (hi - lo > 16u) {
        uint32_t mid = (lo + (hi - lo) / 2u) & ~15u;
        if (mid <= lo) {
            break;
        }
        if (runs_in(mid)) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    runs_in(hi);
    m7_printf("M7AMP TFLM ARENA need=%lu used=%lu\r\n", (unsigned long)hi,
              (unsigned long)m7_engine_tflm_arena_used_bytes());
    m7_exit(M7_EXIT_PASS);
}
