/*
 * selftest - board bring-up self-test: clocks, FPU (single and double, FZ/DN modes), DSP instructions,
 * CMSIS-DSP, memory sections, SysTick, CYCCNT, cache/FPU configuration, the formatter.
 * Every check prints one line; the last line is "M7AMP SELFTEST PASS" or
 * "M7AMP SELFTEST FAIL <n> checks failed", then m7_exit(0 or 1).
 * Inputs pass through volatiles so the compiler cannot fold the known answers at build time.
 */
#include <string.h>

#include "arm_math.h"
#include "m7_board.h"

static int n_checks;
static int n_failed;

static void report(int ok, const char *name)
{
    n_checks++;
    if (!ok) {
        n_failed++;
    }
    m7_printf("  %s %-30s", ok ? "ok  " : "FAIL", name);
}

static void check_u32(const char *name, uint32_t got, uint32_t want)
{
    report(got == want, name);
    m7_printf(" 0x%08lx", (unsigned long)got);
    if (got != want) {
        m7_printf(" (expected 0x%08lx)", (unsigned long)want);
    }
    m7_puts("\r\n");
}

static void check_u64(const char *name, uint64_t got, uint64_t want)
{
    report(got == want, name);
    m7_printf(" 0x%016llx", (unsigned long long)got);
    if (got != want) {
        m7_printf(" (expected 0x%016llx)", (unsigned long long)want);
    }
    m7_puts("\r\n");
}

static void check_range(const char *name, double got, double lo, double hi)
{
    report(got >= lo && got <= hi, name);
    m7_printf(" %.3f (expected %.3f .. %.3f)\r\n", got, lo, hi);
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* ---- the FPU instructions themselves (inline asm: no libm, no compiler substitutions) ---- */
static float vfma_f32(float acc, float a, float b)
{
    __asm__ volatile("vfma.f32 %0, %1, %2" : "+t"(acc) : "t"(a), "t"(b));
    return acc;
}
static float vdiv_f32(float a, float b)
{
    float r;
    __asm__ volatile("vdiv.f32 %0, %1, %2" : "=t"(r) : "t"(a), "t"(b));
    return r;
}
static float vsqrt_f32(float a)
{
    float r;
    __asm__ volatile("vsqrt.f32 %0, %1" : "=t"(r) : "t"(a));
    return r;
}
static double vfma_f64(double acc, double a, double b)
{
    __asm__ volatile("vfma.f64 %P0, %P1, %P2" : "+w"(acc) : "w"(a), "w"(b));
    return acc;
}
static double vdiv_f64(double a, double b)
{
    double r;
    __asm__ volatile("vdiv.f64 %P0, %P1, %P2" : "=w"(r) : "w"(a), "w"(b));
    return r;
}
static double vsqrt_f64(double a)
{
    double r;
    __asm__ volatile("vsqrt.f64 %P0, %P1" : "=w"(r) : "w"(a));
    return r;
}

static void test_fpu(void)
{
    volatile float one = 1.0f, two = 2.0f, three = 3.0f;
    volatile uint32_t a_bits = 0x3F800800U; /* 1 + 2^-12 */
    volatile uint32_t c_bits = 0xBF801000U; /* -(1 + 2^-11) */
    float a = bits_f32(a_bits);
    /* fused: a*a + c = 2^-24 exactly; an unfused multiply-add rounds a*a first and gives 0 */
    check_u32("vfma.f32 fused", f32_bits(vfma_f32(bits_f32(c_bits), a, a)), 0x33800000U);
    check_u32("vdiv.f32 1/3", f32_bits(vdiv_f32(one, three)), 0x3EAAAAABU);
    check_u32("vsqrt.f32 2", f32_bits(vsqrt_f32(two)), 0x3FB504F3U);

    volatile float tiny = 1e-30f, small = 1e-10f;
    check_u32("FZ: denormal product -> 0", f32_bits(tiny * small), 0x00000000U); /* IEEE: 0x000116C2 */
    volatile uint32_t nan_bits = 0x7FC12345U;
    check_u32("DN: NaN payload -> default", f32_bits(bits_f32(nan_bits) + one), 0x7FC00000U);

    volatile double d1 = 1.0, d2 = 2.0, d3 = 3.0;
    volatile double da = 1.0 + 0x1p-27, dc = -(1.0 + 0x1p-26);
    check_u64("vfma.f64 fused", f64_bits(vfma_f64(dc, da, da)), 0x3C90000000000000ULL);
    check_u64("vdiv.f64 1/3", f64_bits(vdiv_f64(d1, d3)), 0x3FD5555555555555ULL);
    check_u64("vsqrt.f64 2", f64_bits(vsqrt_f64(d2)), 0x3FF6A09E667F3BCDULL);
    volatile int32_t big = -123456789;
    check_u64("vcvt s32 -> f64", f64_bits((double)big), f64_bits(-123456789.0));
    volatile double dx = 2.75;
    check_u32("vcvt f64 -> s32 (truncate)", (uint32_t)(int32_t)(-dx), (uint32_t)-2);
}

static void test_dsp(void)
{
    volatile uint32_t x = 0xFFFE0003U, y = 0x0004FFFBU; /* halves (hi, lo): (-2, 3), (4, -5) */
    volatile uint32_t p = 0x00030002U, q = 0x00050004U; /* (3, 2), (5, 4) */
    volatile int32_t acc = 100, big = 100000, nbig = -100000, m5 = -5, v300 = 300;
    check_u32("SMLAD", __SMLAD(x, y, acc), 77U);           /* 3*-5 + -2*4 + 100 */
    check_u32("SMUAD", __SMUAD(p, q), 23U);                /* 2*4 + 3*5 */
    check_u32("SMUSD", __SMUSD(p, q), (uint32_t)-7);       /* 2*4 - 3*5 */
    check_u32("QADD16 saturates", __QADD16(0x7FFF0001U + x * 0U, 0x00018000U), 0x7FFF8001U);
    check_u32("QSUB16 saturates", __QSUB16(0x80000005U + x * 0U, 0x00010007U), 0x8000FFFEU);
    check_u32("SHADD16", __SHADD16(0x00040006U + x * 0U, 0xFFFE0002U), 0x00010004U);
    check_u32("SSAT 16 (+)", (uint32_t)__SSAT(big, 16), 0x00007FFFU);
    check_u32("SSAT 16 (-)", (uint32_t)__SSAT(nbig, 16), 0xFFFF8000U);
    check_u32("USAT 8 (-5)", __USAT(m5, 8), 0U);
    check_u32("USAT 8 (300)", __USAT(v300, 8), 255U);
    volatile int32_t imax = 0x7FFFFFF0, imin = (int32_t)0x80000000U;
    check_u32("QADD saturates", (uint32_t)__QADD(imax, 0x100), 0x7FFFFFFFU);
    check_u32("QSUB saturates", (uint32_t)__QSUB(imin, 1), 0x80000000U);
    volatile uint32_t h = 0x7FFF7FFFU;
    check_u64("SMLALD", __SMLALD(h, h, 0x100000000ULL), 0x17FFE0002ULL);
    volatile uint32_t z = 0U, bit16 = 0x00010000U;
    check_u32("CLZ", __CLZ(bit16), 15U);
    check_u32("CLZ(0)", __CLZ(z), 32U);
    check_u32("PKHBT", __PKHBT(0x1234U + z, 0x5678U, 16), 0x56781234U);
    check_u32("PKHTB", __PKHTB(0x12345678U + z, 0xABCD0000U, 16), 0x1234ABCDU);
    check_u32("SXTB16", __SXTB16(0x80FF7F01U + z), 0xFFFF0001U);
    volatile int32_t half = 0x40000000;
    check_u32("SMMLA", (uint32_t)__SMMLA(half, half, 5), 0x10000005U);
}

static void test_cmsis_dsp(void)
{
    static const float32_t a8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float32_t dot = 0.0f;
    arm_dot_prod_f32(a8, a8, 8, &dot);
    check_u32("arm_dot_prod_f32", f32_bits(dot), f32_bits(204.0f));

    static const float32_t A[6] = {1, 2, 3, 4, 5, 6};    /* 2x3 */
    static const float32_t B[6] = {7, 8, 9, 10, 11, 12}; /* 3x2 */
    float32_t C[4] = {0};
    arm_matrix_instance_f32 ma, mb, mc;
    arm_mat_init_f32(&ma, 2, 3, (float32_t *)A);
    arm_mat_init_f32(&mb, 3, 2, (float32_t *)B);
    arm_mat_init_f32(&mc, 2, 2, C);
    arm_status st = arm_mat_mult_f32(&ma, &mb, &mc);
    int mat_ok = st == ARM_MATH_SUCCESS && C[0] == 58.0f && C[1] == 64.0f && C[2] == 139.0f && C[3] == 154.0f;
    report(mat_ok, "arm_mat_mult_f32 2x3 * 3x2");
    m7_printf(" [%.0f %.0f; %.0f %.0f]\r\n", (double)C[0], (double)C[1], (double)C[2], (double)C[3]);

    /* 1.15 products summed in 34.30: 2^28 + 2^27 - 2^27 - 2^27 = 2^27 */
    static const q15_t qa[4] = {0x4000, 0x2000, -0x4000, 0x1000};
    static const q15_t qb[4] = {0x4000, 0x4000, 0x2000, (q15_t)-0x8000};
    q63_t qdot = 0;
    arm_dot_prod_q15(qa, qb, 4, &qdot);
    check_u64("arm_dot_prod_q15 (34.30)", (uint64_t)qdot, 1ULL << 27);
}

/* ---- memory sections ---- */
static uint32_t data_word = 0xA5A55A5AU;
static uint32_t bss_words[4];
static M7_DTCM uint32_t dtcm_word = 0x1234ABCDU;
static M7_DTCM_BSS uint32_t dtcm_bss_word;

M7_ITCM static uint32_t itcm_function(uint32_t v) { return v * 3U + 1U; }

static void test_sections(void)
{
    volatile uint32_t seven = 7U;
    check_u32(".data initialised (SRAM1)", data_word, 0xA5A55A5AU);
    report((uint32_t)&data_word >= 0x20020000U && (uint32_t)&data_word < 0x2007C000U, ".data address in SRAM1");
    m7_printf(" 0x%08lx\r\n", (unsigned long)(uint32_t)&data_word);
    check_u32(".bss zeroed", bss_words[0] | bss_words[3], 0U);
    check_u32(".dtcm initialised", dtcm_word, 0x1234ABCDU);
    check_u32(".dtcm_bss zeroed", dtcm_bss_word, 0U);
    report((uint32_t)&dtcm_word >= 0x20000000U && (uint32_t)&dtcm_word < 0x20020000U, ".dtcm address in DTCM");
    m7_printf(" 0x%08lx\r\n", (unsigned long)(uint32_t)&dtcm_word);
    uint32_t (*volatile fn)(uint32_t) = itcm_function;
    report((uint32_t)fn >= 0x20U && (uint32_t)fn < 0x4000U, ".itcm function address in ITCM");
    m7_printf(" 0x%08lx\r\n", (unsigned long)(uint32_t)fn);
    check_u32(".itcm function runs", fn(seven), 22U);
}

/* ---- time: SysTick against CYCCNT, and the cycle count of a known loop ---- */
M7_ITCM static uint32_t timed_loop(uint32_t n)
{
    uint32_t t0 = DWT->CYCCNT;
    __asm__ volatile("1: subs %0, %0, #1\n\t"
                     "bne 1b"
                     : "+r"(n)
                     :
                     : "cc");
    return DWT->CYCCNT - t0;
}

static void test_time(void)
{
    /* Core cycles over 10 SysTick periods, from one tick edge to another. The loops poll the tick count
     * in RAM, not CYCCNT: in Renode every DWT read is a peripheral access that syncs virtual time, and
     * 10 ms of them took seconds of host time. */
    uint32_t hz = m7_core_hz();
    uint32_t t0 = m7_millis();
    while (m7_millis() == t0) {
    }
    t0 = m7_millis();
    uint32_t c0 = m7_cycles();
    while (m7_millis() - t0 < 10U) {
    }
    uint32_t cycles = m7_cycles() - c0;
    report(cycles >= hz / 1000U * 9U && cycles <= hz / 1000U * 11U, "SysTick 1 kHz against CYCCNT");
    m7_printf(" %lu cycles for 10 ticks\r\n", (unsigned long)cycles);

    uint32_t wakeups = 0;
    __WFI(); /* start right after a tick, so no tick can fall between reading t0 and the first WFI */
    t0 = m7_millis();
    while (m7_millis() - t0 < 5U) {
        __WFI();
        wakeups++;
    }
    report(wakeups == 5U, "WFI wakes once per tick");
    m7_printf(" %lu wake-ups for 5 ticks\r\n", (unsigned long)wakeups);

    uint32_t c1000 = timed_loop(1000U);
    uint32_t c2000 = timed_loop(2000U);
    double per_iter = (double)(c2000 - c1000) / 1000.0;
    check_range("CYCCNT: subs+bne per iteration", per_iter, 0.5, 8.0);
    report(c1000 > 0U, "CYCCNT counts");
    m7_printf(" %lu cycles for 1000 iterations\r\n", (unsigned long)c1000);
}

static void test_config(void)
{
    check_u32("CPUID implementer/part", SCB->CPUID & 0xFF00FFF0U, 0x4100C270U);
    check_u32("VTOR = flash", SCB->VTOR, 0x08000000U);
    check_u32("CCR.IC|DC (caches on)", SCB->CCR & (SCB_CCR_IC | SCB_CCR_DC), SCB_CCR_IC | SCB_CCR_DC);
    check_u32("CPACR CP10/CP11 full", SCB->CPACR & SCB_CPACR_CP10_CP11_FULL, SCB_CPACR_CP10_CP11_FULL);
    check_u32("FPSCR FZ|DN", __get_FPSCR() & (FPSCR_FZ | FPSCR_DN), FPSCR_FZ | FPSCR_DN);
    check_u32("FPDSCR FZ|DN", FPU->FPDSCR & (FPSCR_FZ | FPSCR_DN), FPSCR_FZ | FPSCR_DN);
    check_u32("DWT CYCCNTENA", DWT->CTRL & DWT_CTRL_CYCCNTENA, DWT_CTRL_CYCCNTENA);
}

static void test_clock(const m7_clock_info_t *ci)
{
    report(ci->failed_step == NULL, "clock bring-up");
    m7_printf(" %s\r\n", ci->failed_step ? ci->failed_step : "all steps completed");
    check_u32("RCC_CFGR.SWS = PLL", RCC->CFGR & RCC_CFGR_SWS_Msk, RCC_CFGR_SWS_PLL);
    check_u32("FLASH_ACR LATENCY|ART|PRFT", FLASH->ACR & (FLASH_ACR_LATENCY_Msk | FLASH_ACR_ARTEN | FLASH_ACR_PRFTEN),
              7U | FLASH_ACR_ARTEN | FLASH_ACR_PRFTEN);
    check_u32("PWR over-drive ready", PWR->CSR1 & (PWR_CSR1_ODRDY | PWR_CSR1_ODSWRDY),
              PWR_CSR1_ODRDY | PWR_CSR1_ODSWRDY);
    check_u32("SYSCLK Hz", ci->sysclk_hz, 216000000U);
    check_u32("USART3 BRR", USART3->BRR, 469U);
}

static void test_print(void)
{
    char buf[64];
    volatile int neg = -42;
    volatile double pi = 3.14159265;
    m7_snprintf(buf, sizeof buf, "%08x|%-5d|%.3f|%s|%c", 0xBEEFU, neg, pi, "ok", 'z');
    report(strcmp(buf, "0000beef|-42  |3.142|ok|z") == 0, "m7_snprintf");
    m7_printf(" \"%s\"\r\n", buf);
}

int main(void)
{
    const m7_clock_info_t *ci = m7_board_init();
    m7_printf("\r\nm7amp selftest %s STM32F767 @ %lu MHz\r\n", M7AMP_VERSION,
              (unsigned long)(m7_core_hz() / 1000000U));
    m7_printf("clock: %s -> PLL M=%lu N=%lu P=%lu Q=%lu: SYSCLK %lu MHz, AHB %lu, APB1 %lu, APB2 %lu\r\n",
              ci->source, (unsigned long)ci->pll_m, (unsigned long)ci->pll_n, (unsigned long)ci->pll_p,
              (unsigned long)ci->pll_q, (unsigned long)(ci->sysclk_hz / 1000000U),
              (unsigned long)(ci->hclk_hz / 1000000U), (unsigned long)(ci->pclk1_hz / 1000000U),
              (unsigned long)(ci->pclk2_hz / 1000000U));

    test_clock(ci);
    test_config();
    test_sections();
    test_fpu();
    test_dsp();
    test_cmsis_dsp();
    test_time();
    test_print();

    m7_printf("%d checks, %d failed\r\n", n_checks, n_failed);
    if (n_failed == 0) {
        m7_printf("M7AMP SELFTEST PASS\r\n");
        return M7_EXIT_PASS;
    }
    m7_printf("M7AMP SELFTEST FAIL %d checks failed\r\n", n_failed);
    return M7_EXIT_FAIL;
}
