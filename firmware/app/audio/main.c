/*
 * audio - real-time audio through the engine: SAI1 I2S in and out (block B receives, block A transmits),
 * DMA2 circular double buffers, one half buffer processed per DMA interrupt (docs/audio.md).
 *
 * Compile-time configuration (firmware/CMakeLists.txt cache variables):
 *   M7AMP_AUDIO_RATE       48000 or 44100; 16000, 8000, 4000 in the simulator (nominal; the achieved rate
 *                          is in the start line)
 *   M7AMP_AUDIO_BLOCK      samples per half buffer (multiple of 8, 8..1024; default 32)
 *   M7AMP_AUDIO_SLOW       extra busy-wait cycles per block (0 = none): a deliberately slow build
 *   M7AMP_AUDIO_REPORT_MS  period of the stats line in audio time (0 = only on request)
 *   M7AMP_AUDIO_BYPASS     1: the left input goes to both outputs unchanged, no engine (wiring check;
 *                          output frame n + 2 * BLOCK == input frame n, bit for bit)
 * and the model of m7_add_engine_app (M7AMP_MODEL_HEADER/DESC/PREFIX/NAME/Q15).
 * With a cabinet IR (M7AMP_CAB=1, from M7AMP_CAB_DIR: docs/cabinet-ir.md) every block goes through the
 * IR convolution after the engine (f32; a q15 engine's output is converted to f32 and back), inside the
 * timed ISR; its own cycles are summed in m7_audio_cab.
 *
 * Buffers (SRAM2, cacheable: invalidated before reading, cleaned after writing): rx and tx each hold
 * 2 halves x BLOCK stereo frames of int16 [frame][left, right]. The RX stream's half-transfer and
 * transfer-complete interrupts hand over one half; the ISR runs its left channel through the engine
 * and writes the result to both channels of the same half of tx, which the TX stream sends one buffer
 * later: input frame n leaves as output frame n + 2 * BLOCK (the latency, exactly, in samples).
 *
 * UART (USART3, 115200 8N1):
 *   M7AMP AUDIO START model=.. precision=.. rate=.. fs_mhz=.. block=.. latency=.. ...
 *   M7AMP AUDIO STATS blocks=.. overruns=.. cycles_min=.. cycles_avg=.. cycles_max=.. ...
 *   (periodic, and on request: 's' prints the stats, 'r' resets them)
 *   M7AMP AUDIO FAIL <step> <code>   when the start fails
 */
#include <stddef.h>
#include <stdint.h>

#include "m7_board.h"
#include "m7_app_engine.h"
#if M7AMP_CAB
#include "m7_app_cab.h"
#endif

#ifndef M7AMP_AUDIO_RATE
#define M7AMP_AUDIO_RATE 48000u
#endif
#ifndef M7AMP_AUDIO_BLOCK
#define M7AMP_AUDIO_BLOCK 32u
#endif
#ifndef M7AMP_AUDIO_SLOW
#define M7AMP_AUDIO_SLOW 0u
#endif
#ifndef M7AMP_AUDIO_REPORT_MS
#define M7AMP_AUDIO_REPORT_MS 1000u
#endif
#ifndef M7AMP_AUDIO_BYPASS
#define M7AMP_AUDIO_BYPASS 0
#endif

#if M7AMP_AUDIO_RATE != 48000u && M7AMP_AUDIO_RATE != 44100u && M7AMP_AUDIO_RATE != 16000u && \
    M7AMP_AUDIO_RATE != 8000u && M7AMP_AUDIO_RATE != 4000u
#error "M7AMP_AUDIO_RATE must be 48000, 44100, 16000, 8000 or 4000"
#endif
/* A half buffer is BLOCK * 4 bytes: whole 32-byte cache lines when BLOCK is a multiple of 8. Both
 * buffers (16 * BLOCK bytes) must fit the 16 KB of SRAM2. */
#if M7AMP_AUDIO_BLOCK < 8u || M7AMP_AUDIO_BLOCK > 1024u || M7AMP_AUDIO_BLOCK % 8u != 0u
#error "M7AMP_AUDIO_BLOCK must be a multiple of 8 in 8..1024"
#endif

#define BLOCK M7AMP_AUDIO_BLOCK
#define FRAMES (2u * BLOCK)            /* frames in each circular buffer */
#define HALF_BYTES (BLOCK * 2u * 2u)   /* one half: BLOCK frames x 2 channels x int16 */
#define LATENCY_SAMPLES (2u * BLOCK)   /* input frame n is output frame n + 2 * BLOCK */

/* ---- the counters: one struct, read by symbol (simulator, debugger); layout in docs/audio.md ---- */
#define M7_AUDIO_STATS_MAGIC 0x5541374DUL /* "M7AU" in memory */
#define M7_AUDIO_STATS_VERSION 1u

typedef struct {
    uint32_t magic;         /* 0x00 M7_AUDIO_STATS_MAGIC once the audio has started */
    uint32_t version;       /* 0x04 layout version (1) */
    uint32_t size;          /* 0x08 sizeof this struct */
    uint32_t sample_rate;   /* 0x0C nominal rate (48000, 44100, ...) */
    uint32_t rate_mhz;      /* 0x10 achieved frame rate in millihertz (47991071 for 48 kHz) */
    uint32_t block;         /* 0x14 samples per half buffer */
    uint32_t latency;       /* 0x18 input-to-output latency in samples (2 * block) */
    uint32_t precision;     /* 0x1C 0 f32, 1 q15 */
    uint32_t rx_buf;        /* 0x20 address of the RX buffer (2 * block frames of int16 L, R) */
    uint32_t tx_buf;        /* 0x24 address of the TX buffer */
    uint32_t slow_cycles;   /* 0x28 M7AMP_AUDIO_SLOW */
    uint32_t blocks;        /* 0x2C half buffers processed (incremented last in each ISR) */
    uint32_t overruns;      /* 0x30 halves finished after the TX stream began sending them + halves lost */
    uint32_t cycles_last;   /* 0x34 DWT cycles of the last block's ISR */
    uint32_t cycles_min;    /* 0x38 */
    uint32_t cycles_max;    /* 0x3C */
    uint64_t cycles_sum;    /* 0x40 */
    uint32_t dma_errors;    /* 0x48 TEIF / DMEIF seen on either stream */
    uint32_t sai_errors;    /* 0x4C SAI error flags seen (underrun, overrun, frame sync, clock config) */
} m7_audio_stats_t;
_Static_assert(offsetof(m7_audio_stats_t, blocks) == 0x2C, "stats layout (docs/audio.md)");
_Static_assert(offsetof(m7_audio_stats_t, cycles_sum) == 0x40, "stats layout (docs/audio.md)");
_Static_assert(sizeof(m7_audio_stats_t) == 0x50, "stats layout (docs/audio.md)");

/* DTCM: not cached, so a debugger or the simulator reading memory sees the current values. */
M7_DTCM_BSS volatile m7_audio_stats_t m7_audio_stats;

/* DMA buffers: whole cache lines in SRAM2 (M7_SRAM2 aligns to 32 bytes). */
M7_SRAM2 int16_t m7_audio_rx[FRAMES * 2u];
M7_SRAM2 int16_t m7_audio_tx[FRAMES * 2u];

#if !M7AMP_AUDIO_BYPASS
static m7_app_sample_t mono[BLOCK]; /* the left channel of one half, processed in place */
#endif

#if (!M7AMP_MODEL_Q15 || M7AMP_CAB) && !M7AMP_AUDIO_BYPASS
/* float in [-1, 1) -> int16, rounded to nearest, saturated. */
static int16_t to_q15(float x)
{
    float v = x * 32768.0f;
    v = v > 32767.0f ? 32767.0f : (v < -32768.0f ? -32768.0f : v);
    return (int16_t)(v >= 0.0f ? v + 0.5f : v - 0.5f);
}
#endif

#if M7AMP_CAB && !M7AMP_AUDIO_BYPASS
/* The cabinet stage's own cost (DTCM, read by symbol like m7_audio_stats; reset with it). */
#define M7_AUDIO_CAB_MAGIC 0x4241434DUL /* "MCAB" in memory */
typedef struct {
    uint32_t magic;       /* 0x00 M7_AUDIO_CAB_MAGIC */
    uint32_t taps;        /* 0x04 IR length in samples */
    uint32_t fft;         /* 0x08 1: partitioned FFT convolution, 0: direct FIR */
    uint32_t blocks;      /* 0x0C blocks convolved since the last stats reset */
    uint64_t cycles_sum;  /* 0x10 DWT cycles in the stage over those blocks (included in m7_audio_stats) */
} m7_audio_cab_t;
_Static_assert(offsetof(m7_audio_cab_t, cycles_sum) == 0x10, "cab stats layout (docs/cabinet-ir.md)");
M7_DTCM_BSS volatile m7_audio_cab_t m7_audio_cab;
#if M7AMP_MODEL_Q15
static float cab_buf[BLOCK]; /* the q15 engine's output as f32 for the stage */
#endif

/* The block in place through the cabinet IR, timed. */
static void cab_block(m7_app_sample_t *buf)
{
    uint32_t t0 = m7_cycles();
#if M7AMP_MODEL_Q15
    for (uint32_t i = 0; i < BLOCK; i++) {
        cab_buf[i] = (float)buf[i] * (1.0f / 32768.0f);
    }
    m7_app_cab_process(cab_buf);
    for (uint32_t i = 0; i < BLOCK; i++) {
        buf[i] = to_q15(cab_buf[i]);
    }
#else
    m7_app_cab_process(buf);
#endif
    m7_audio_cab.cycles_sum += m7_cycles() - t0;
    m7_audio_cab.blocks++;
}
#define CAB_BLOCK(buf) cab_block(buf)
#else
#define CAB_BLOCK(buf) ((void)0)
#endif

/* ---- where the streams are, in absolute frames since the start ----
 * A stream's NDTR gives its exact position inside the buffer; the DWT cycle count since the start gives
 * the number of whole buffer laps (rounded: exact while the estimate is within BLOCK frames, and the
 * core clock and the SAI clock come from the same oscillator). This makes lost halves countable even
 * when the ISR falls more than a whole buffer behind. */
static uint64_t cycles_since_start; /* DWT CYCCNT extended to 64 bits (it wraps every 19.9 s) */
static uint32_t cycles_mark;
static int64_t last_half = -1; /* absolute index of the last processed half (half k = frames kB..kB+B-1) */
static double frames_per_cycle;

static void clock_restart(void)
{
    cycles_mark = m7_cycles();
    cycles_since_start = 0u;
}

static double frames_since_start(void)
{
    uint32_t now = m7_cycles();
    cycles_since_start += now - cycles_mark;
    cycles_mark = now;
    return (double)cycles_since_start * frames_per_cycle;
}

static int64_t stream_frame(uint32_t stream, double frames)
{
    uint32_t pos = (2u * FRAMES - m7_dma2_remaining(stream)) / 2u; /* 2 items (slots) per frame */
    double laps = ((frames - (double)pos) / (double)FRAMES) + 0.5;
    return (laps > 0.0 ? (int64_t)laps : 0) * (int64_t)FRAMES + (int64_t)pos;
}

/* Left channel of rx half `half` -> engine -> both channels of tx half `half`. */
static void process_half(uint32_t half)
{
    int16_t *in = &m7_audio_rx[half * BLOCK * 2u];
    int16_t *out = &m7_audio_tx[half * BLOCK * 2u];
    m7_dcache_invalidate_range(in, HALF_BYTES); /* the DMA wrote memory behind the cache */
#if M7AMP_AUDIO_BYPASS
    for (uint32_t i = 0; i < BLOCK; i++) {
        out[2u * i] = in[2u * i];
        out[2u * i + 1u] = in[2u * i];
    }
#elif M7AMP_MODEL_Q15
    for (uint32_t i = 0; i < BLOCK; i++) {
        mono[i] = in[2u * i];
    }
    (void)m7_app_engine_process(mono, mono, BLOCK);
    CAB_BLOCK(mono);
    for (uint32_t i = 0; i < BLOCK; i++) {
        out[2u * i] = mono[i];
        out[2u * i + 1u] = mono[i];
    }
#else
    for (uint32_t i = 0; i < BLOCK; i++) {
        mono[i] = (float)in[2u * i] * (1.0f / 32768.0f);
    }
    (void)m7_app_engine_process(mono, mono, BLOCK);
    CAB_BLOCK(mono);
    for (uint32_t i = 0; i < BLOCK; i++) {
        int16_t s = to_q15(mono[i]);
        out[2u * i] = s;
        out[2u * i + 1u] = s;
    }
#endif
    m7_dcache_clean_range(out, HALF_BYTES); /* the DMA reads memory, not the cache */
}

/* RX stream: half transfer (half 0 received) or transfer complete (half 1 received). */
void DMA2_Stream5_IRQHandler(void)
{
    uint32_t t0 = m7_cycles();
    uint32_t flags = m7_dma2_flags(M7_SAI1_RX_STREAM);
    m7_dma2_clear(M7_SAI1_RX_STREAM, flags);
    uint32_t tx_flags = m7_dma2_flags(M7_SAI1_TX_STREAM) & (DMA_FLAG_TEIF | DMA_FLAG_DMEIF);
    m7_dma2_clear(M7_SAI1_TX_STREAM, tx_flags);
    volatile m7_audio_stats_t *st = &m7_audio_stats;
    if ((flags & (DMA_FLAG_TEIF | DMA_FLAG_DMEIF)) || tx_flags) {
        st->dma_errors++;
    }
    if (m7_sai1_errors()) {
        st->sai_errors++;
    }
    if (!(flags & (DMA_FLAG_HTIF | DMA_FLAG_TCIF))) {
        return;
    }
    /* The most recently completed half, from where the RX stream is now (robust to late entries). */
    int64_t k = stream_frame(M7_SAI1_RX_STREAM, frames_since_start()) / (int64_t)BLOCK - 1;
    if (k <= last_half) {
        return; /* already processed: its flag was raised while the ISR ran late */
    }
    uint32_t lost = (uint32_t)(k - last_half - 1); /* halves that completed but were never processed */
#if M7AMP_AUDIO_SLOW
    /* A slower engine: the wait comes before the half is written, so its output is late too. */
    uint32_t t_slow = m7_cycles();
    while (m7_cycles() - t_slow < M7AMP_AUDIO_SLOW) {
    }
#endif
    process_half((uint32_t)k & 1u);
    uint32_t dt = m7_cycles() - t0;
    /* Late: the TX stream has started sending this half's slot again (output frames (k+2)B onwards). */
    uint32_t late = stream_frame(M7_SAI1_TX_STREAM, frames_since_start()) >= (k + 2) * (int64_t)BLOCK;
    last_half = k;

    st->overruns += lost + late;
    st->cycles_last = dt;
    st->cycles_min = dt < st->cycles_min ? dt : st->cycles_min;
    st->cycles_max = dt > st->cycles_max ? dt : st->cycles_max;
    st->cycles_sum += dt;
    st->blocks++;
}

static void stats_reset(void)
{
    uint32_t primask = __get_PRIMASK();
    __disable_irq();
    m7_audio_stats.blocks = 0u;
    m7_audio_stats.overruns = 0u;
    m7_audio_stats.cycles_last = 0u;
    m7_audio_stats.cycles_min = UINT32_MAX;
    m7_audio_stats.cycles_max = 0u;
    m7_audio_stats.cycles_sum = 0u;
    m7_audio_stats.dma_errors = 0u;
    m7_audio_stats.sai_errors = 0u;
#if M7AMP_CAB && !M7AMP_AUDIO_BYPASS
    m7_audio_cab.blocks = 0u;
    m7_audio_cab.cycles_sum = 0u;
#endif
    __set_PRIMASK(primask);
}

static void stats_print(void)
{
    uint32_t primask = __get_PRIMASK();
    __disable_irq(); /* a consistent snapshot: the ISR updates several fields */
    m7_audio_stats_t s = m7_audio_stats;
    __set_PRIMASK(primask);
    uint32_t avg = s.blocks ? (uint32_t)(s.cycles_sum / s.blocks) : 0u;
    /* budget per block = BLOCK * core clock / frame rate */
    double budget = (double)BLOCK * (double)m7_core_hz() * 1000.0 / (double)s.rate_mhz;
    m7_printf("M7AMP AUDIO STATS blocks=%lu overruns=%lu cycles_min=%lu cycles_avg=%lu cycles_max=%lu "
              "load_avg=%.1f%% load_max=%.1f%% dma_errors=%lu sai_errors=%lu\r\n",
              (unsigned long)s.blocks, (unsigned long)s.overruns,
              (unsigned long)(s.blocks ? s.cycles_min : 0u), (unsigned long)avg, (unsigned long)s.cycles_max,
              100.0 * (double)avg / budget, 100.0 * (double)s.cycles_max / budget, (unsigned long)s.dma_errors,
              (unsigned long)s.sai_errors);
}

static __attribute__((noreturn)) void fail(const char *step, int code)
{
    m7_printf("M7AMP AUDIO FAIL %s %d\r\n", step, code);
    m7_exit(M7_EXIT_FAIL);
}

int main(void)
{
    m7_board_init();

    m7_status_t st = m7_app_engine_init();
    if (st != M7_OK) {
        fail("engine", (int)st);
    }
#if M7AMP_CAB && !M7AMP_AUDIO_BYPASS
    st = m7_app_cab_init();
    if (st != M7_OK) {
        fail("cab", (int)st);
    }
    m7_audio_cab.taps = m7_app_cab_taps();
    m7_audio_cab.fft = m7_app_cab_method()[1] == 'f'; /* "fft" */
    m7_audio_cab.magic = M7_AUDIO_CAB_MAGIC;
    m7_printf("M7AMP AUDIO CAB taps=%lu method=%s ram=%s\r\n", (unsigned long)m7_app_cab_taps(),
              m7_app_cab_method(), m7_app_cab_ram());
#endif

#if !M7AMP_AUDIO_BYPASS
    /* Warm the caches before the stream starts: one block of silence through the engine (and the cabinet),
     * then a reset to the state of a fresh init. The first real block then runs at its steady-state cost;
     * cold (flash code and weights behind the I- and D-caches) it costs about 3 % more, which at feather
     * q15's 97.6 % load at 48 kHz made the first half late (docs/audio.md). */
    for (uint32_t i = 0; i < BLOCK; i++) {
        mono[i] = 0;
    }
    (void)m7_app_engine_process(mono, mono, BLOCK);
    m7_app_engine_reset();
#if M7AMP_CAB
    CAB_BLOCK(mono);
    m7_app_cab_reset();
#endif
#endif

    /* Silence for the first two halves (the latency), written back before the TX stream reads it. */
    for (uint32_t i = 0; i < FRAMES * 2u; i++) {
        m7_audio_tx[i] = 0;
    }
    m7_dcache_clean_range(m7_audio_tx, sizeof m7_audio_tx);

    const m7_sai_clock_t *plan = m7_sai_clock_plan(M7AMP_AUDIO_RATE);
    m7_audio_stats.version = M7_AUDIO_STATS_VERSION;
    m7_audio_stats.size = sizeof(m7_audio_stats_t);
    m7_audio_stats.sample_rate = M7AMP_AUDIO_RATE;
    m7_audio_stats.rate_mhz = m7_sai_clock_rate_mhz(plan);
    m7_audio_stats.block = BLOCK;
    m7_audio_stats.latency = LATENCY_SAMPLES;
    m7_audio_stats.precision = M7AMP_MODEL_Q15;
    m7_audio_stats.rx_buf = (uint32_t)m7_audio_rx;
    m7_audio_stats.tx_buf = (uint32_t)m7_audio_tx;
    m7_audio_stats.slow_cycles = M7AMP_AUDIO_SLOW;
    stats_reset();

    int rc = m7_sai1_clock_init(M7AMP_AUDIO_RATE);
    if (rc != M7_AUDIO_OK) {
        fail("clock", rc);
    }
    m7_printf("M7AMP AUDIO START model=%s precision=%s rate=%lu fs_mhz=%lu block=%lu latency=%lu "
              "engine_ram=%s model_rate=%lu slow=%lu rx=0x%08lx tx=0x%08lx stats=0x%08lx\r\n",
              M7AMP_AUDIO_BYPASS ? "bypass" : m7_app_engine_model_name(), M7_APP_PRECISION,
              (unsigned long)M7AMP_AUDIO_RATE,
              (unsigned long)m7_audio_stats.rate_mhz, (unsigned long)BLOCK, (unsigned long)LATENCY_SAMPLES,
              m7_app_engine_ram(), (unsigned long)m7_app_engine_sample_rate(), (unsigned long)M7AMP_AUDIO_SLOW,
              (unsigned long)(uint32_t)m7_audio_rx, (unsigned long)(uint32_t)m7_audio_tx,
              (unsigned long)(uint32_t)&m7_audio_stats);
    m7_uart_flush();

    m7_nvic_set_priority(DMA2_Stream5_IRQn, 1u); /* above SysTick (15); nothing else runs */
    m7_nvic_enable(DMA2_Stream5_IRQn);
    m7_audio_stats.magic = M7_AUDIO_STATS_MAGIC;
    frames_per_cycle = (double)plan->fs_num / ((double)plan->fs_den * (double)m7_core_hz());
    clock_restart();
    rc = m7_sai1_duplex_start(M7AMP_AUDIO_RATE, m7_audio_rx, m7_audio_tx, FRAMES);
    if (rc != M7_AUDIO_OK) {
        fail("sai", rc);
    }

    /* Report every M7AMP_AUDIO_REPORT_MS of audio (counted in blocks, so it follows the audio clock). */
    const uint32_t report_blocks =
        (uint32_t)(((uint64_t)M7AMP_AUDIO_REPORT_MS * M7AMP_AUDIO_RATE / 1000u + BLOCK - 1u) / BLOCK);
    uint32_t next_report = report_blocks;
    for (;;) {
        __WFI(); /* woken by every DMA interrupt (and SysTick) */
        if (report_blocks != 0u && m7_audio_stats.blocks >= next_report) {
            next_report += report_blocks;
            stats_print();
        }
        int c = m7_uart_getc(1u); /* one poll, no wait */
        if (c == 's') {
            stats_print();
        } else if (c == 'r') {
            stats_reset();
            next_report = report_blocks;
        }
    }
}
