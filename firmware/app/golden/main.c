/*
 * golden - runs M7AMP_GOLDEN_SAMPLES samples of a model package's golden input through the configured
 * engine (cmsis or tflm, the same m7_engine.h API) in blocks of M7AMP_GOLDEN_BLOCK, for the checks
 * against Keras and the TFLite interpreter (tests/engines/test_tflm_golden.py).
 *
 * The host writes the input into `golden_input` (flash, golden_input.c) before the run and reads
 * `golden_output` (SRAM1) after it: f32 samples, or int16 Q15 for the q15 API (M7AMP_MODEL_Q15).
 * Output: "M7AMP GOLDEN PASS samples=<n>" or "M7AMP GOLDEN FAIL <what> <status>".
 */
#include <stdint.h>

#include "golden.h"
#include "m7_board.h"
#include "m7_engine.h"
#include M7AMP_MODEL_HEADER

/* One more macro level so that M7AMP_MODEL_PREFIX is expanded before the engine's ## pastes it. */
#define STATE_BYTES_F32_OF(M) M7_ENGINE_STATE_BYTES_F32(M)
#define SCRATCH_BYTES_F32_OF(M) M7_ENGINE_SCRATCH_BYTES_F32(M, M7AMP_GOLDEN_BLOCK)
#define STATE_BYTES_Q15_OF(M) M7_ENGINE_STATE_BYTES_Q15(M)
#define SCRATCH_BYTES_Q15_OF(M) M7_ENGINE_SCRATCH_BYTES_Q15(M, M7AMP_GOLDEN_BLOCK)

#if M7AMP_ENGINE_TFLM /* scratch is TFLM's arena, the state lives inside it */
#define STATE_BYTES 8u
#define SCRATCH_BYTES M7AMP_TFLM_ARENA_BYTES
#elif M7AMP_MODEL_Q15
#define STATE_BYTES STATE_BYTES_Q15_OF(M7AMP_MODEL_PREFIX)
#define SCRATCH_BYTES SCRATCH_BYTES_Q15_OF(M7AMP_MODEL_PREFIX)
#else
#define STATE_BYTES STATE_BYTES_F32_OF(M7AMP_MODEL_PREFIX)
#define SCRATCH_BYTES SCRATCH_BYTES_F32_OF(M7AMP_MODEL_PREFIX)
#endif
#define WORDS64(bytes) (((bytes) + 7u) / 8u)

static uint64_t engine_state[WORDS64(STATE_BYTES)];
static uint64_t engine_scratch[WORDS64(SCRATCH_BYTES)] __attribute__((aligned(16)));
golden_sample_t golden_output[M7AMP_GOLDEN_SAMPLES];

static __attribute__((noreturn)) void fail(const char *what, int code)
{
    m7_printf("M7AMP GOLDEN FAIL %s %d\r\n", what, code);
    m7_exit(M7_EXIT_FAIL);
}

int main(void)
{
    m7_board_init();
#if M7AMP_MODEL_Q15
    static m7_engine_q15_t eng;
    m7_status_t st = m7_engine_init_q15(&eng, &M7AMP_MODEL_DESC, engine_state, sizeof engine_state,
                                        engine_scratch, sizeof engine_scratch, M7AMP_GOLDEN_BLOCK);
#else
    static m7_engine_f32_t eng;
    m7_status_t st = m7_engine_init_f32(&eng, &M7AMP_MODEL_DESC, (float *)engine_state, sizeof engine_state,
                                        (float *)engine_scratch, sizeof engine_scratch, M7AMP_GOLDEN_BLOCK);
#endif
    if (st != M7_OK) {
        fail("init", (int)st);
    }
    for (uint32_t at = 0; at < M7AMP_GOLDEN_SAMPLES; at += M7AMP_GOLDEN_BLOCK) {
#if M7AMP_MODEL_Q15
        st = m7_engine_process_q15(&eng, &golden_input[at], NULL, &golden_output[at], M7AMP_GOLDEN_BLOCK);
#else
        st = m7_engine_process_f32(&eng, &golden_input[at], NULL, &golden_output[at], M7AMP_GOLDEN_BLOCK);
#endif
        if (st != M7_OK) {
            fail("process", (int)st);
        }
    }
    m7_printf("M7AMP GOLDEN PASS samples=%u\r\n", (unsigned)M7AMP_GOLDEN_SAMPLES);
    m7_exit(M7_EXIT_PASS);
}
