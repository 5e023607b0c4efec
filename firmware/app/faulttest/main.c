/*
 * faulttest - raises one fault on purpose, chosen by one character received on USART3:
 *   u  store to 0x60000000 (FMC bank 1, FMC not enabled): BusFault       -> fault_unmapped()
 *   i  undefined instruction (udf #0): UsageFault UNDEFINSTR               -> fault_undefined()
 *   s  unbounded recursion into the stack guard: MemManage (MPU)           -> fault_stack_overflow()
 *   z  integer divide by zero with CCR.DIV_0_TRP: UsageFault DIVBYZERO     -> fault_div_by_zero()
 *   x  bx to EXC_RETURN 0xFFFFFF00 inside an ISR: UsageFault INVPC         -> fault_bad_exc_return()
 * Each fault happens inside the named noinline function so reports can name it. On the board the
 * fault handlers (board/faults.c) print the fault registers and stop with m7_exit(3); the simulator
 * stops first with its own report.
 * Lines: "M7AMP FAULTTEST READY" when waiting; "M7AMP FAULTTEST FAIL ..." if no fault happened.
 */
#include "m7_board.h"

#define FAULT_NOINLINE __attribute__((noinline, used))

static volatile uint32_t sink;
static volatile uint32_t recursion_limit = 0xFFFFFFFFU; /* never reached: the guard is hit first */

FAULT_NOINLINE void fault_unmapped(void)
{
    *(volatile uint32_t *)FMC_BANK1_BASE = 0xDEADBEEFU;
    __DSB(); /* the write is buffered: make the (imprecise) BusFault arrive here */
}

FAULT_NOINLINE void fault_undefined(void) { __asm__ volatile("udf #0"); }

/* Each level writes every word of a 64-byte local (so the descent touches every word of the 32-byte
 * guard) and passes its address down, so the recursion can be neither inlined nor made a loop. */
FAULT_NOINLINE uint32_t fault_stack_overflow(uint32_t depth, volatile uint32_t *parent)
{
    volatile uint32_t frame[16];
    for (int i = 15; i >= 0; i--) {
        frame[i] = depth;
    }
    frame[15] = parent != NULL ? parent[0] : 0U;
    if (depth >= recursion_limit) {
        return frame[0];
    }
    return fault_stack_overflow(depth + 1U, frame) + frame[15];
}

FAULT_NOINLINE void fault_div_by_zero(void)
{
    volatile int32_t num = 1, den = 0;
    SCB->CCR |= SCB_CCR_DIV_0_TRP;
    __DSB();
    __ISB();
    sink = (uint32_t)(num / den);
}

FAULT_NOINLINE void fault_bad_exc_return(void)
{
    /* In handler mode a branch to 0xFFFFFFxx is an exception return; 0xFFFFFF00 is not a valid one. */
    __asm__ volatile("bx %0" : : "r"(0xFFFFFF00U));
}

#define BAD_RETURN_IRQ EXTI0_IRQn
void EXTI0_IRQHandler(void) { fault_bad_exc_return(); }

int main(void)
{
    m7_board_init();
    m7_printf("\r\nm7amp faulttest %s STM32F767 @ %lu MHz\r\n", M7AMP_VERSION,
              (unsigned long)(m7_core_hz() / 1000000U));
    m7_printf("send one of: u (bus) i (undefined) s (stack overflow) z (div by 0) x (bad EXC_RETURN)\r\n");
    m7_printf("M7AMP FAULTTEST READY\r\n");
    int c = m7_uart_getc(0);
    m7_printf("faulttest: '%c'\r\n", c);
    switch (c) {
    case 'u':
        fault_unmapped();
        break;
    case 'i':
        fault_undefined();
        break;
    case 's':
        sink = fault_stack_overflow(0U, NULL);
        break;
    case 'z':
        fault_div_by_zero();
        break;
    case 'x':
        m7_nvic_set_priority(BAD_RETURN_IRQ, 4U);
        m7_nvic_enable(BAD_RETURN_IRQ);
        NVIC_STIR = BAD_RETURN_IRQ;
        __DSB();
        __ISB();
        break;
    default:
        m7_printf("M7AMP FAULTTEST FAIL unknown command '%c'\r\n", c);
        return M7_EXIT_FAIL;
    }
    m7_printf("M7AMP FAULTTEST FAIL no fault for '%c'\r\n", c);
    return M7_EXIT_FAIL;
}
