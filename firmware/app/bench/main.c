/*
 * bench - streams a deterministic guitar-like signal (bench_signal.c) from memory through the hand-written engine
 * (firmware/engines/cmsis) and times every process() call with DWT CYCCNT.
 *
 * The model and precision are fixed at compile time by firmware/CMakeLists.txt (m7_add_engine_app and
 * the cache variables M7AMP_MODEL_DIR/NAME/PRECISION, M7AMP_BENCH_BLOCK, M7AMP_BENCH_BLOCKS):
 *   M7AMP_MODEL_HEADER  "<name>_<prec>.h"     M7AMP_MODEL_DESC    <name>_<prec> (the descriptor)
 *   M7AMP_MODEL_PREFIX  <NAME>_<PREC>          M7AMP_MODEL_Q15     0 (f32) or 1 (q15)
 * Output (parsed by `m7amp bench engine`):
 *   M7AMP BENCH model=<name> precision=<prec> block=<B> blocks=<N> cycles_min=.. cycles_avg=..
 *   cycles_max=.. cycles_total=.. checksum=0x........ ram=<dtcm|sram1>
 *   M7AMP BENCH CAB taps=<N> method=<fft|fir> ram=<dtcm|sram1> cycles_min=.. cycles_max=.. cycles_total=..
 *                               (only with a cabinet IR, M7AMP_CAB=1: the IR stage after the engine,
 *                               timed on its own; cycles_total above is the engine alone)
 *   M7AMP BENCH PASS            (or M7AMP BENCH FAIL <reason>)
 */
#include <stdint.h>

#include "bench_signal.h"
#include "m7_board.h"
#include "m7_app_engine.h"

#ifndef M7AMP_BENCH_BLOCK
#define M7AMP_BENCH_BLOCK 32u
#endif
#ifndef M7AMP_BENCH_BLOCKS
#define M7AMP_BENCH_BLOCKS 64u
#endif
#define N_SAMPLES (M7AMP_BENCH_BLOCK * M7AMP_BENCH_BLOCKS)

#if M7AMP_ENGINE_TFLM
#include "m7_engine_tflm.h"
#endif
#if M7AMP_CAB
#include "m7_app_cab.h"
static float cab_buf[M7AMP_BENCH_BLOCK]; /* the engine's output as f32 for the IR stage */
#endif

static m7_app_sample_t input[N_SAMPLES];
static m7_app_sample_t output[M7AMP_BENCH_BLOCK];

static void make_input(void)
{
#if M7AMP_MODEL_Q15
    bench_signal_q15(input, N_SAMPLES);
#else
    bench_signal_f32(input, N_SAMPLES);
#endif
}

/* FNV-1a over the output bytes: the same model, input and precision always give the same value. */
static uint32_t fnv1a(uint32_t h, const void *data, uint32_t bytes)
{
    const uint8_t *p = data;
    for (uint32_t i = 0; i < bytes; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

static __attribute__((noreturn)) void fail(const char *what, int code)
{
    m7_printf("M7AMP BENCH FAIL %s %d\r\n", what, code);
    m7_exit(M7_EXIT_FAIL);
}

int main(void)
{
    m7_board_init();
    make_input();

    m7_status_t st = m7_app_engine_init();
    if (st != M7_OK) {
        fail("init", (int)st);
    }

#if M7AMP_CAB
    st = m7_app_cab_init();
    if (st != M7_OK) {
        fail("cab", (int)st);
    }
    uint32_t cab_min = UINT32_MAX, cab_max = 0;
    uint64_t cab_sum = 0;
#endif
    uint32_t cmin = UINT32_MAX, cmax = 0;
    uint64_t csum = 0;
    uint32_t check = 2166136261u;
    for (uint32_t b = 0; b < M7AMP_BENCH_BLOCKS; b++) {
        const m7_app_sample_t *in = &input[b * M7AMP_BENCH_BLOCK];
        uint32_t t0 = m7_cycles();
        st = m7_app_engine_process(in, output, M7AMP_BENCH_BLOCK);
        uint32_t dt = m7_cycles() - t0;
        if (st != M7_OK) {
            fail("process", (int)st);
        }
        cmin = dt < cmin ? dt : cmin;
        cmax = dt > cmax ? dt : cmax;
        csum += dt;
#if M7AMP_CAB
        /* the stage timed alone, on the engine's output (a q15 engine's converted to f32 first, outside
         * the timing: the audio app's conversion is in its whole-block figure) */
        for (uint32_t i = 0; i < M7AMP_BENCH_BLOCK; i++) {
#if M7AMP_MODEL_Q15
            cab_buf[i] = (float)output[i] * (1.0f / 32768.0f);
#else
            cab_buf[i] = output[i];
#endif
        }
        t0 = m7_cycles();
        m7_app_cab_process(cab_buf);
        dt = m7_cycles() - t0;
        cab_min = dt < cab_min ? dt : cab_min;
        cab_max = dt > cab_max ? dt : cab_max;
        cab_sum += dt;
        check = fnv1a(check, cab_buf, sizeof cab_buf);
#else
        check = fnv1a(check, output, sizeof output);
#endif
    }

    m7_printf("M7AMP BENCH model=%s precision=%s block=%u blocks=%u cycles_min=%lu cycles_avg=%lu "
              "cycles_max=%lu cycles_total=%llu checksum=0x%08lx ram=%s\r\n",
              m7_app_engine_model_name(), M7_APP_PRECISION, (unsigned)M7AMP_BENCH_BLOCK, (unsigned)M7AMP_BENCH_BLOCKS,
              (unsigned long)cmin, (unsigned long)(csum / M7AMP_BENCH_BLOCKS), (unsigned long)cmax,
              (unsigned long long)csum, (unsigned long)check, m7_app_engine_ram());
#if M7AMP_ENGINE_TFLM
    m7_printf("M7AMP BENCH TFLM arena_used=%lu arena=%lu\r\n", (unsigned long)m7_engine_tflm_arena_used_bytes(),
              (unsigned long)M7AMP_TFLM_ARENA_BYTES);
#endif
#if M7AMP_CAB
    m7_printf("M7AMP BENCH CAB taps=%lu method=%s ram=%s cycles_min=%lu cycles_max=%lu cycles_total=%llu\r\n",
              (unsigned long)m7_app_cab_taps(), m7_app_cab_method(), m7_app_cab_ram(), (unsigned long)cab_min,
              (unsigned long)cab_max, (unsigned long long)cab_sum);
#endif
    m7_puts("M7AMP BENCH PASS\r\n");
    m7_exit(M7_EXIT_PASS);
}
