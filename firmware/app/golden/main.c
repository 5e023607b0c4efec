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
#include "m7_app_engine.h"

golden_sample_t golden_output[M7AMP_GOLDEN_SAMPLES];

static __attribute__((noreturn)) void fail(const char *what, int code)
{
    m7_printf("M7AMP GOLDEN FAIL %s %d\r\n", what, code);
    m7_exit(M7_EXIT_FAIL);
}

int main(void)
{
    m7_board_init();
    m7_status_t st = m7_app_engine_init();
    if (st != M7_OK) {
        fail("init", (int)st);
    }
    for (uint32_t at = 0; at < M7AMP_GOLDEN_SAMPLES; at += M7AMP_GOLDEN_BLOCK) {
        st = m7_app_engine_process(&golden_input[at], &golden_output[at], M7AMP_GOLDEN_BLOCK);
        if (st != M7_OK) {
            fail("process", (int)st);
        }
    }
    m7_printf("M7AMP GOLDEN PASS samples=%u\r\n", (unsigned)M7AMP_GOLDEN_SAMPLES);
    m7_exit(M7_EXIT_PASS);
}
