/*
 * faults.c - HardFault / MemManage / BusFault / UsageFault handlers.
 *
 * Each handler is a naked stub that picks the stacked frame (MSP or PSP, from EXC_RETURN bit 2),
 * moves SP to a private fault stack (the faulting stack may be the one that overflowed into the MPU
 * guard) and jumps to m7_fault_report, which prints CFSR (decoded), HFSR, MMFAR, BFAR and the stacked
 * PC, LR and xPSR on USART3, then stops with m7_exit(M7_EXIT_FAULT).
 */
#include "m7_board.h"

extern uint32_t __stack_limit;
extern uint32_t _estack;

#define M7_FAULT_STACK_WORDS 256U
__attribute__((aligned(8), used)) uint32_t m7_fault_stack[M7_FAULT_STACK_WORDS];

__attribute__((noreturn, used)) void m7_fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t kind);

/* r0 = frame, r1 = EXC_RETURN, r2 = kind; SP = top of m7_fault_stack. */
#define M7_FAULT_STUB(name, kind)                                                  \
    __attribute__((naked)) void name(void)                                         \
    {                                                                              \
        __asm__ volatile("tst lr, #4\n\t"                                          \
                         "ite eq\n\t"                                              \
                         "mrseq r0, msp\n\t"                                       \
                         "mrsne r0, psp\n\t"                                       \
                         "mov r1, lr\n\t"                                          \
                         "movs r2, %[k]\n\t"                                       \
                         "movw r3, #:lower16:m7_fault_stack+1024\n\t"              \
                         "movt r3, #:upper16:m7_fault_stack+1024\n\t"              \
                         "mov sp, r3\n\t"                                          \
                         "b m7_fault_report\n\t" ::[k] "i"(kind));                 \
    }

void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
M7_FAULT_STUB(HardFault_Handler, 0)
M7_FAULT_STUB(MemManage_Handler, 1)
M7_FAULT_STUB(BusFault_Handler, 2)
M7_FAULT_STUB(UsageFault_Handler, 3)
_Static_assert(M7_FAULT_STACK_WORDS * 4U == 1024U, "fault stubs hard-code the fault stack size");

void m7_faults_enable(void)
{
    SCB->SHCSR |= SCB_SHCSR_MEMFAULTENA | SCB_SHCSR_BUSFAULTENA | SCB_SHCSR_USGFAULTENA;
    __DSB();
    __ISB();
}

/* CFSR bit names (ARMv7-M ARM B3.2.15): MMFSR [7:0], BFSR [15:8], UFSR [31:16]. */
static const char *const cfsr_names[32] = {
    [0] = "IACCVIOL",   [1] = "DACCVIOL",   [3] = "MUNSTKERR",  [4] = "MSTKERR",   [5] = "MLSPERR",
    [7] = "MMARVALID",  [8] = "IBUSERR",    [9] = "PRECISERR",  [10] = "IMPRECISERR",
    [11] = "UNSTKERR",  [12] = "STKERR",    [13] = "LSPERR",    [15] = "BFARVALID",
    [16] = "UNDEFINSTR", [17] = "INVSTATE", [18] = "INVPC",     [19] = "NOCP",
    [24] = "UNALIGNED", [25] = "DIVBYZERO",
};

void m7_fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t kind)
{
    static const char *const kinds[] = {"HardFault", "MemManage", "BusFault", "UsageFault"};
    uint32_t cfsr = SCB->CFSR, hfsr = SCB->HFSR, mmfar = SCB->MMFAR, bfar = SCB->BFAR;
    uint32_t f = (uint32_t)frame;
    /* Only read the frame if it lies inside the main stack (not in or below the guard). */
    int frame_ok = f >= (uint32_t)&__stack_limit && f + 32U <= (uint32_t)&_estack;

    m7_printf("\r\nM7AMP FAULT %s\r\n", kinds[kind & 3U]);
    m7_printf("  CFSR  0x%08lx", (unsigned long)cfsr);
    for (unsigned b = 0; b < 32U; b++) {
        if ((cfsr & (1UL << b)) && cfsr_names[b] != NULL) {
            m7_printf(" %s", cfsr_names[b]);
        }
    }
    m7_printf("\r\n  HFSR  0x%08lx%s%s\r\n", (unsigned long)hfsr, (hfsr & SCB_HFSR_FORCED) ? " FORCED" : "",
              (hfsr & SCB_HFSR_VECTTBL) ? " VECTTBL" : "");
    m7_printf("  MMFAR 0x%08lx%s\r\n", (unsigned long)mmfar, (cfsr & SCB_CFSR_MMARVALID) ? "" : " (not valid)");
    m7_printf("  BFAR  0x%08lx%s\r\n", (unsigned long)bfar, (cfsr & SCB_CFSR_BFARVALID) ? "" : " (not valid)");
    if (frame_ok) {
        m7_printf("  PC    0x%08lx\r\n  LR    0x%08lx\r\n  xPSR  0x%08lx\r\n", (unsigned long)frame[6],
                  (unsigned long)frame[5], (unsigned long)frame[7]);
    } else {
        m7_printf("  SP    0x%08lx outside the stack: stack overflow (no frame)\r\n", (unsigned long)f);
    }
    m7_printf("  EXC_RETURN 0x%08lx\r\n", (unsigned long)exc_return);
    m7_exit(M7_EXIT_FAULT);
}
