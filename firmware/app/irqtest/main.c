/*
 * irqtest - NVIC behaviour: preemption by priority (nesting), tail-chaining of equal/lower priorities,
 * PRIMASK and BASEPRI masking, the FP extended frame (thread and handler FP registers survive
 * interrupts, including nested FP handlers), and SysTick + WFI.
 *
 * Test interrupts are pended by software (STIR or NVIC_ISPR); each handler logs an upper-case letter
 * on entry and the lower-case one on exit, so "DBAabd" means D was preempted by B, B by A.
 * Last line: "M7AMP IRQTEST PASS" or "M7AMP IRQTEST FAIL <n> checks failed".
 */
#include <string.h>

#include "m7_board.h"

/* Test IRQs (EXTIx: no pin is configured, so only software pends them) and their priorities. */
enum { IRQ_A, IRQ_B, IRQ_C, IRQ_D, N_LOGGED };
static const int irq_num[N_LOGGED] = {EXTI0_IRQn, EXTI1_IRQn, EXTI2_IRQn, EXTI3_IRQn};
static const uint32_t irq_prio[N_LOGGED] = {2, 5, 5, 8}; /* 0 = highest */
static const char irq_name[N_LOGGED] = {'A', 'B', 'C', 'D'};
#define IRQ_F1 EXTI4_IRQn   /* FP handler, low priority */
#define IRQ_F2 EXTI9_5_IRQn /* FP handler, high priority, pended from inside F1 */

static char event_log[64];
static volatile uint32_t log_len;
static volatile uint32_t pend_on_entry[N_LOGGED]; /* bit i: pend logged IRQ i when entered (once) */
static volatile uint32_t iabr_in_b, vectactive_in_b;
static int n_failed;

static void log_event(char c)
{
    uint32_t primask = __get_PRIMASK();
    __disable_irq(); /* handlers nest: the append must not be split */
    if (log_len < sizeof event_log - 1U) {
        event_log[log_len++] = c;
        event_log[log_len] = '\0';
    }
    __set_PRIMASK(primask);
}

static void log_reset(void)
{
    log_len = 0;
    event_log[0] = '\0';
}

/* Pends IRQ i: even i through STIR, odd i through NVIC_ISPR (both paths are exercised). */
static void pend(int i)
{
    int n = irq_num[i];
    if ((i & 1) == 0) {
        NVIC_STIR = (uint32_t)n;
    } else {
        NVIC->ISPR[n >> 5] = 1UL << (n & 31);
    }
    __DSB();
    __ISB(); /* a pended higher-priority interrupt is taken here, before the next instruction */
}

static void handler_body(int i)
{
    log_event(irq_name[i]);
    if (i == IRQ_B) {
        iabr_in_b = NVIC->IABR[0];
        vectactive_in_b = SCB->ICSR & SCB_ICSR_VECTACTIVE_Msk;
    }
    uint32_t todo = pend_on_entry[i];
    pend_on_entry[i] = 0;
    for (int k = 0; k < N_LOGGED; k++) {
        if (todo & (1UL << k)) {
            pend(k);
        }
    }
    log_event((char)(irq_name[i] + ('a' - 'A')));
}

void EXTI0_IRQHandler(void) { handler_body(IRQ_A); }
void EXTI1_IRQHandler(void) { handler_body(IRQ_B); }
void EXTI2_IRQHandler(void) { handler_body(IRQ_C); }
void EXTI3_IRQHandler(void) { handler_body(IRQ_D); }

static void expect_log(const char *name, const char *want)
{
    int ok = strcmp(event_log, want) == 0;
    n_failed += !ok;
    m7_printf("  %s %-34s %s (expected %s)\r\n", ok ? "ok  " : "FAIL", name, event_log, want);
}

static void expect_u32(const char *name, uint32_t got, uint32_t want)
{
    int ok = got == want;
    n_failed += !ok;
    m7_printf("  %s %-34s 0x%08lx", ok ? "ok  " : "FAIL", name, (unsigned long)got);
    if (!ok) {
        m7_printf(" (expected 0x%08lx)", (unsigned long)want);
    }
    m7_puts("\r\n");
}

static void test_priorities(void)
{
    /* 1. nesting: D pends B (higher: preempts), B pends A (higher: preempts) */
    log_reset();
    pend_on_entry[IRQ_D] = 1U << IRQ_B;
    pend_on_entry[IRQ_B] = 1U << IRQ_A;
    pend(IRQ_D);
    expect_log("nesting by priority", "DBAabd");
    expect_u32("IABR in B (D and B active)", iabr_in_b, (1UL << EXTI3_IRQn) | (1UL << EXTI1_IRQn));
    expect_u32("VECTACTIVE in B", vectactive_in_b, 16U + EXTI1_IRQn);

    /* 2. tail-chaining: B pends C (equal priority) and D (lower): neither preempts */
    log_reset();
    pend_on_entry[IRQ_B] = (1U << IRQ_C) | (1U << IRQ_D);
    pend(IRQ_B);
    expect_log("equal/lower priority tail-chain", "BbCcDd");

    /* 3. PRIMASK holds everything; on release the highest runs first, equal priorities by number */
    log_reset();
    __disable_irq();
    pend(IRQ_D);
    pend(IRQ_C);
    pend(IRQ_B);
    pend(IRQ_A);
    expect_log("PRIMASK masks all", "");
    __enable_irq();
    __ISB();
    expect_log("release order", "AaBbCcDd");

    /* 4. BASEPRI = 4 masks priorities 4..15 only */
    log_reset();
    __set_BASEPRI(4U << (8U - M7_NVIC_PRIO_BITS));
    __ISB();
    pend(IRQ_B);
    pend(IRQ_A);
    expect_log("BASEPRI=4: A (2) runs, B (5) waits", "Aa");
    __set_BASEPRI(0U);
    __ISB();
    expect_log("BASEPRI=0: B runs", "AaBb");
}

/* ---- FP context across exceptions ---- */
static const float thread_pattern[32] = {0.5f,  1.5f,  2.5f,  3.5f,  4.5f,  5.5f,  6.5f,  7.5f,
                                         8.5f,  9.5f,  10.5f, 11.5f, 12.5f, 13.5f, 14.5f, 15.5f,
                                         16.5f, 17.5f, 18.5f, 19.5f, 20.5f, 21.5f, 22.5f, 23.5f,
                                         24.5f, 25.5f, 26.5f, 27.5f, 28.5f, 29.5f, 30.5f, 31.5f};
static const float f1_pattern[16] = {-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15, -16};
static const float f2_pattern[16] = {1e3f, 2e3f, 3e3f, 4e3f, 5e3f, 6e3f, 7e3f, 8e3f,
                                     9e3f, 1e4f, 2e4f, 3e4f, 4e4f, 5e4f, 6e4f, 7e4f};
static volatile uint32_t f1_exc_return, f2_exc_return, f1_regs_ok, f1_fpscr_ok;
#define FPSCR_NZCV_Msk 0xF0000000UL

#define FP_CLOBBER_LO "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15"
#define FP_CLOBBER_HI "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "s28", "s29", "s30", "s31"

/* F2 (high priority): overwrite s0-s15 and the FPSCR flags. */
void EXTI9_5_IRQHandler(void)
{
    uint32_t exc;
    __asm__ volatile("mov %0, lr" : "=r"(exc));
    f2_exc_return = exc;
    log_event('G');
    uint32_t fpscr = (__get_FPSCR() & ~FPSCR_NZCV_Msk) | 0x50000000UL; /* Z, V */
    __asm__ volatile("vldmia %0, {s0-s15}\n\t"
                     "vmsr fpscr, %1"
                     :
                     : "r"(f2_pattern), "r"(fpscr)
                     : FP_CLOBBER_LO, "memory");
    log_event('g');
}

/* F1 (low priority): load its own s0-s15 and flags, let F2 preempt, check they survived. */
void EXTI4_IRQHandler(void)
{
    uint32_t exc;
    __asm__ volatile("mov %0, lr" : "=r"(exc));
    f1_exc_return = exc;
    log_event('F');
    float out[16];
    uint32_t fpscr_in = (__get_FPSCR() & ~FPSCR_NZCV_Msk) | 0x20000000UL; /* C */
    uint32_t fpscr_out;
    __asm__ volatile("vldmia %[in], {s0-s15}\n\t"
                     "vmsr fpscr, %[fin]\n\t"
                     "str %[irq], [%[stir]]\n\t"
                     "dsb\n\t"
                     "isb\n\t"
                     "vstmia %[out], {s0-s15}\n\t"
                     "vmrs %[fout], fpscr"
                     : [fout] "=r"(fpscr_out)
                     : [in] "r"(f1_pattern), [out] "r"(out), [fin] "r"(fpscr_in), [irq] "r"(IRQ_F2),
                       [stir] "r"(&NVIC_STIR)
                     : FP_CLOBBER_LO, "memory");
    f1_regs_ok = memcmp(out, f1_pattern, sizeof out) == 0;
    f1_fpscr_ok = fpscr_out == fpscr_in;
    log_event('f');
}

static void test_fp_context(void)
{
    float out[32];
    uint32_t fpscr_in = (__get_FPSCR() & ~FPSCR_NZCV_Msk) | 0xA0000000UL; /* N, C */
    uint32_t fpscr_out;
    log_reset();
    __asm__ volatile("vldmia %[in], {s0-s31}\n\t"
                     "vmsr fpscr, %[fin]\n\t"
                     "str %[irq], [%[stir]]\n\t"
                     "dsb\n\t"
                     "isb\n\t"
                     "vstmia %[out], {s0-s31}\n\t"
                     "vmrs %[fout], fpscr"
                     : [fout] "=r"(fpscr_out)
                     : [in] "r"(thread_pattern), [out] "r"(out), [fin] "r"(fpscr_in), [irq] "r"(IRQ_F1),
                       [stir] "r"(&NVIC_STIR)
                     : FP_CLOBBER_LO, FP_CLOBBER_HI, "memory");
    expect_log("nested FP handlers", "FGgf");
    expect_u32("thread s0-s31 preserved", memcmp(out, thread_pattern, sizeof out) == 0, 1U);
    expect_u32("thread FPSCR preserved", fpscr_out, fpscr_in);
    expect_u32("F1 s0-s15 preserved across F2", f1_regs_ok, 1U);
    expect_u32("F1 FPSCR preserved across F2", f1_fpscr_ok, 1U);
    /* EXC_RETURN bit 4 = 0: an extended (FP) frame was stacked. F1 returns to thread (0xFFFFFFE9),
     * F2 to a handler (0xFFFFFFE1). */
    expect_u32("F1 EXC_RETURN (FP frame, thread)", f1_exc_return, 0xFFFFFFE9U);
    expect_u32("F2 EXC_RETURN (FP frame, handler)", f2_exc_return, 0xFFFFFFE1U);
}

/* ---- SysTick + WFI ---- */
static volatile uint32_t hook_calls;
void m7_systick_hook(void) { hook_calls++; }

static void test_systick_wfi(void)
{
    uint32_t wakeups = 0;
    __WFI(); /* start right after a tick, so no tick can fall between reading t0 and the first WFI */
    uint32_t h0 = hook_calls;
    uint32_t t0 = m7_millis();
    while (m7_millis() - t0 < 10U) {
        __WFI();
        wakeups++;
    }
    expect_u32("WFI wake-ups over 10 ticks", wakeups, 10U);
    expect_u32("SysTick hook calls", hook_calls - h0, 10U);
}

int main(void)
{
    m7_board_init();
    m7_printf("\r\nm7amp irqtest %s STM32F767 @ %lu MHz\r\n", M7AMP_VERSION,
              (unsigned long)(m7_core_hz() / 1000000U));
    for (int i = 0; i < N_LOGGED; i++) {
        m7_nvic_set_priority(irq_num[i], irq_prio[i]);
        m7_nvic_enable(irq_num[i]);
    }
    m7_nvic_set_priority(IRQ_F1, 9U);
    m7_nvic_set_priority(IRQ_F2, 1U);
    m7_nvic_enable(IRQ_F1);
    m7_nvic_enable(IRQ_F2);

    test_priorities();
    test_fp_context();
    test_systick_wfi();

    if (n_failed == 0) {
        m7_printf("M7AMP IRQTEST PASS\r\n");
        return M7_EXIT_PASS;
    }
    m7_printf("M7AMP IRQTEST FAIL %d checks failed\r\n", n_failed);
    return M7_EXIT_FAIL;
}
