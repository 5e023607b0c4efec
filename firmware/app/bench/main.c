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
 *   M7AMP BENCH PASS            (or M7AMP BENCH FAIL <reason>)
 */
#include <stdint.h>

#include "bench_signal.h"
#include "m7_board.h"
#include "m7_engine.h"
#include M7AMP_MODEL_HEADER

#ifndef M7AMP_BENCH_BLOCK
#define M7AMP_BENCH_BLOCK 32u
#endif
#ifndef M7AMP_BENCH_BLOCKS
#define M7AMP_BENCH_BLOCKS 64u
#endif
#define N_SAMPLES (M7AMP_BENCH_BLOCK * M7AMP_BENCH_BLOCKS)

#define STR_(x) #x
#define STR(x) STR_(x)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define MODEL(suffix) CAT(M7AMP_MODEL_PREFIX, suffix) /* e.g. MODEL(_STATE_LEN) -> NANO_F32_STATE_LEN */

/* Buffer sizes in bytes from the engine's macros (expanded through MODEL() so they work in #if). */
#if M7AMP_ENGINE_TFLM /* the tflm engine: scratch is TFLM's arena, the state lives inside it */
#include "m7_engine_tflm.h"
#define STATE_BYTES 8u
#define SCRATCH_BYTES M7AMP_TFLM_ARENA_BYTES
#endif
#if M7AMP_MODEL_Q15
typedef int16_t sample_t;
#ifndef STATE_BYTES
#define STATE_BYTES MODEL(_STATE_BYTES)
#define SCRATCH_BYTES                                                                                \
    (M7AMP_BENCH_BLOCK * (8u * MODEL(_SCRATCH_LEN) + 4u * (MODEL(_HEAD_LEN) + 1u) +                  \
                          2u * (MODEL(_SCRATCH_LEN) + MODEL(_N_INPUTS) + MODEL(_X_LEN) +             \
                                MODEL(_SKIP_LEN) + MODEL(_H_LEN))))
#endif
#define PRECISION "q15"
#else
typedef float sample_t;
#ifndef STATE_BYTES
#define STATE_BYTES (4u * MODEL(_STATE_LEN))
#define SCRATCH_BYTES                                                                                \
    (4u * M7AMP_BENCH_BLOCK *                                                                         \
     (MODEL(_N_INPUTS) + MODEL(_X_LEN) + MODEL(_HEAD_LEN) + MODEL(_SKIP_LEN) + MODEL(_H_LEN) +       \
      MODEL(_SCRATCH_LEN) + 1u))
#endif
#define PRECISION "f32"
#endif

/* Round a byte count up to whole 8-byte words (the q15 scratch needs 8-byte alignment). */
#define WORDS64(bytes) (((bytes) + 7u) / 8u)

/* State and scratch in DTCM when they fit beside the 16 KB stack and its guard (DTCM is 128 KB; nothing
 * else of the bench lives there), else SRAM1. */
#if 8u * (WORDS64(STATE_BYTES) + WORDS64(SCRATCH_BYTES)) <= (128u - 16u) * 1024u
#define ENGINE_RAM M7_DTCM_BSS
#define ENGINE_RAM_NAME "dtcm"
#else
#define ENGINE_RAM
#define ENGINE_RAM_NAME "sram1"
#endif

/* Named engine_state / engine_scratch: m7amp/memory.py finds the engine's buffers by these names. */
static ENGINE_RAM uint64_t engine_state[WORDS64(STATE_BYTES)];
static ENGINE_RAM uint64_t engine_scratch[WORDS64(SCRATCH_BYTES)];
static sample_t input[N_SAMPLES];
static sample_t output[M7AMP_BENCH_BLOCK];

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

#if M7AMP_MODEL_Q15
    static m7_engine_q15_t eng;
    m7_status_t st = m7_engine_init_q15(&eng, &M7AMP_MODEL_DESC, engine_state, sizeof engine_state,
                                        engine_scratch, sizeof engine_scratch, M7AMP_BENCH_BLOCK);
#else
    static m7_engine_f32_t eng;
    m7_status_t st = m7_engine_init_f32(&eng, &M7AMP_MODEL_DESC, (float *)engine_state, sizeof engine_state,
                                        (float *)engine_scratch, sizeof engine_scratch, M7AMP_BENCH_BLOCK);
#endif
    if (st != M7_OK) {
        fail("init", (int)st);
    }

    uint32_t cmin = UINT32_MAX, cmax = 0;
    uint64_t csum = 0;
    uint32_t check = 2166136261u;
    for (uint32_t b = 0; b < M7AMP_BENCH_BLOCKS; b++) {
        const sample_t *in = &input[b * M7AMP_BENCH_BLOCK];
        uint32_t t0 = m7_cycles();
#if M7AMP_MODEL_Q15
        st = m7_engine_process_q15(&eng, in, NULL, output, M7AMP_BENCH_BLOCK);
#else
        st = m7_engine_process_f32(&eng, in, NULL, output, M7AMP_BENCH_BLOCK);
#endif
        uint32_t dt = m7_cycles() - t0;
        if (st != M7_OK) {
            fail("process", (int)st);
        }
        cmin = dt < cmin ? dt : cmin;
        cmax = dt > cmax ? dt : cmax;
        csum += dt;
        check = fnv1a(check, output, sizeof output);
    }

    m7_printf("M7AMP BENCH model=%s precision=%s block=%u blocks=%u cycles_min=%lu cycles_avg=%lu "
              "cycles_max=%lu cycles_total=%llu checksum=0x%08lx ram=%s\r\n",
              STR(M7AMP_MODEL_NAME), PRECISION, (unsigned)M7AMP_BENCH_BLOCK, (unsigned)M7AMP_BENCH_BLOCKS,
              (unsigned long)cmin, (unsigned long)(csum / M7AMP_BENCH_BLOCKS), (unsigned long)cmax,
              (unsigned long long)csum, (unsigned long)check, ENGINE_RAM_NAME);
#if M7AMP_ENGINE_TFLM
    m7_printf("M7AMP BENCH TFLM arena_used=%lu arena=%lu\r\n", (unsigned long)m7_engine_tflm_arena_used_bytes(),
              (unsigned long)SCRATCH_BYTES);
#endif
    m7_puts("M7AMP BENCH PASS\r\n");
    m7_exit(M7_EXIT_PASS);
}
