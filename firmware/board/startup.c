/*
 * startup.c - STM32F767 vector table and reset handler.
 *
 * The table lists the 16 Cortex-M7 system entries and the F767's 110 external interrupt slots
 * (IRQ 0..109; 79 and 98 are reserved on the F767). Every handler is a weak alias of
 * m7_default_handler, which prints the exception number and stops; apps override a handler by
 * defining a function with its name (e.g. void EXTI0_IRQHandler(void)). The fault handlers
 * (faults.c) and SysTick_Handler (systick.c, with the m7_systick_hook) are the board's own.
 */
#include <stdint.h>

#include "m7_board.h"

/* Linker-script symbols (stm32f767zi.ld). */
extern uint32_t _estack;
extern uint32_t __data_start__, __data_end__, __data_load__;
extern uint32_t __itcm_start__, __itcm_end__, __itcm_load__;
extern uint32_t __dtcm_start__, __dtcm_end__, __dtcm_load__;
extern uint32_t __bss_start__, __bss_end__;
extern uint32_t __dtcm_bss_start__, __dtcm_bss_end__;
extern const uint32_t __vectors_start__;

int main(void);
void Reset_Handler(void);
void m7_default_handler(void);

/* name, IRQ number: the F767 external interrupts (RM0410 table 40). */
#define M7_IRQ_LIST(X)                                                                                   \
    X(WWDG, 0) X(PVD, 1) X(TAMP_STAMP, 2) X(RTC_WKUP, 3) X(FLASH, 4) X(RCC, 5) X(EXTI0, 6) X(EXTI1, 7)   \
    X(EXTI2, 8) X(EXTI3, 9) X(EXTI4, 10) X(DMA1_Stream0, 11) X(DMA1_Stream1, 12) X(DMA1_Stream2, 13)     \
    X(DMA1_Stream3, 14) X(DMA1_Stream4, 15) X(DMA1_Stream5, 16) X(DMA1_Stream6, 17) X(ADC, 18)           \
    X(CAN1_TX, 19) X(CAN1_RX0, 20) X(CAN1_RX1, 21) X(CAN1_SCE, 22) X(EXTI9_5, 23) X(TIM1_BRK_TIM9, 24)   \
    X(TIM1_UP_TIM10, 25) X(TIM1_TRG_COM_TIM11, 26) X(TIM1_CC, 27) X(TIM2, 28) X(TIM3, 29) X(TIM4, 30)    \
    X(I2C1_EV, 31) X(I2C1_ER, 32) X(I2C2_EV, 33) X(I2C2_ER, 34) X(SPI1, 35) X(SPI2, 36) X(USART1, 37)    \
    X(USART2, 38) X(USART3, 39) X(EXTI15_10, 40) X(RTC_Alarm, 41) X(OTG_FS_WKUP, 42)                     \
    X(TIM8_BRK_TIM12, 43) X(TIM8_UP_TIM13, 44) X(TIM8_TRG_COM_TIM14, 45) X(TIM8_CC, 46)                  \
    X(DMA1_Stream7, 47) X(FMC, 48) X(SDMMC1, 49) X(TIM5, 50) X(SPI3, 51) X(UART4, 52) X(UART5, 53)       \
    X(TIM6_DAC, 54) X(TIM7, 55) X(DMA2_Stream0, 56) X(DMA2_Stream1, 57) X(DMA2_Stream2, 58)              \
    X(DMA2_Stream3, 59) X(DMA2_Stream4, 60) X(ETH, 61) X(ETH_WKUP, 62) X(CAN2_TX, 63) X(CAN2_RX0, 64)    \
    X(CAN2_RX1, 65) X(CAN2_SCE, 66) X(OTG_FS, 67) X(DMA2_Stream5, 68) X(DMA2_Stream6, 69)                \
    X(DMA2_Stream7, 70) X(USART6, 71) X(I2C3_EV, 72) X(I2C3_ER, 73) X(OTG_HS_EP1_OUT, 74)                \
    X(OTG_HS_EP1_IN, 75) X(OTG_HS_WKUP, 76) X(OTG_HS, 77) X(DCMI, 78) X(RNG, 80) X(FPU, 81)              \
    X(UART7, 82) X(UART8, 83) X(SPI4, 84) X(SPI5, 85) X(SPI6, 86) X(SAI1, 87) X(LTDC, 88) X(LTDC_ER, 89) \
    X(DMA2D, 90) X(SAI2, 91) X(QUADSPI, 92) X(LPTIM1, 93) X(CEC, 94) X(I2C4_EV, 95) X(I2C4_ER, 96)       \
    X(SPDIF_RX, 97) X(DFSDM1_FLT0, 99) X(DFSDM1_FLT1, 100) X(DFSDM1_FLT2, 101) X(DFSDM1_FLT3, 102)       \
    X(SDMMC2, 103) X(CAN3_TX, 104) X(CAN3_RX0, 105) X(CAN3_RX1, 106) X(CAN3_SCE, 107) X(JPEG, 108)      \
    X(MDIOS, 109)

#define M7_WEAK_HANDLER(name) void name(void) __attribute__((weak, alias("m7_default_handler")));
M7_WEAK_HANDLER(NMI_Handler)
M7_WEAK_HANDLER(SVC_Handler)
M7_WEAK_HANDLER(DebugMon_Handler)
M7_WEAK_HANDLER(PendSV_Handler)
/* Strong definitions in faults.c and systick.c: declared, not aliased, so that the references here
 * pull those objects out of the m7_board archive (a weak alias would satisfy the linker instead). */
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void SysTick_Handler(void);
#define M7_DECLARE_IRQ(name, n) M7_WEAK_HANDLER(name##_IRQHandler)
M7_IRQ_LIST(M7_DECLARE_IRQ)

typedef union {
    void (*handler)(void);
    const void *stack_top;
} m7_vector_t;

#define M7_IRQ_ENTRY(name, n) [16 + (n)] = {.handler = name##_IRQHandler},

/* Placed at 0x08000000 by the linker script (section .isr_vector). */
__attribute__((section(".isr_vector"), used)) const m7_vector_t m7_vectors[16 + M7_IRQ_COUNT] = {
    [0] = {.stack_top = &_estack},
    [1] = {.handler = Reset_Handler},
    [2] = {.handler = NMI_Handler},
    [3] = {.handler = HardFault_Handler},
    [4] = {.handler = MemManage_Handler},
    [5] = {.handler = BusFault_Handler},
    [6] = {.handler = UsageFault_Handler},
    [7 ... 10] = {.handler = m7_default_handler}, /* reserved */
    [11] = {.handler = SVC_Handler},
    [12] = {.handler = DebugMon_Handler},
    [13] = {.handler = m7_default_handler}, /* reserved */
    [14] = {.handler = PendSV_Handler},
    [15] = {.handler = SysTick_Handler},
    [16 + 79] = {.handler = m7_default_handler}, /* reserved (CRYP on the F777 only) */
    [16 + 98] = {.handler = m7_default_handler}, /* reserved */
    M7_IRQ_LIST(M7_IRQ_ENTRY)};

/* Word copy/fill loops written out so that they cannot become libc calls before .data exists. */
static void copy_words(uint32_t *dst, const uint32_t *end, const uint32_t *src)
{
    while (dst < end) {
        *dst++ = *src++;
    }
}

static void zero_words(uint32_t *dst, const uint32_t *end)
{
    while (dst < end) {
        *dst++ = 0U;
    }
}

__attribute__((noreturn, optimize("no-tree-loop-distribute-patterns"))) void Reset_Handler(void)
{
    /* The chip boots through the flash alias at 0x00200000 (ITCM bus); run from the AXIM view. */
    SCB->VTOR = (uint32_t)&m7_vectors[0];
    /* FPU access before any code that may touch FP registers (ARMv7-M B3.2.20). */
    SCB->CPACR |= SCB_CPACR_CP10_CP11_FULL;
    __DSB();
    __ISB();
    copy_words(&__data_start__, &__data_end__, &__data_load__);
    copy_words(&__itcm_start__, &__itcm_end__, &__itcm_load__);
    copy_words(&__dtcm_start__, &__dtcm_end__, &__dtcm_load__);
    zero_words(&__bss_start__, &__bss_end__);
    zero_words(&__dtcm_bss_start__, &__dtcm_bss_end__);
    __DSB();
    __ISB(); /* code was written to ITCM: make sure it is fetched fresh */
    m7_exit(main());
}

/* Any exception without its own handler: report the exception number and stop. */
void m7_default_handler(void)
{
    uint32_t exc = __get_IPSR() & 0x1FFU;
    if (exc >= 16U) {
        m7_printf("\r\nM7AMP UNHANDLED IRQ %lu (exception %lu)\r\n", (unsigned long)(exc - 16U),
                  (unsigned long)exc);
    } else {
        m7_printf("\r\nM7AMP UNHANDLED EXCEPTION %lu\r\n", (unsigned long)exc);
    }
    m7_exit(M7_EXIT_FAULT);
}
