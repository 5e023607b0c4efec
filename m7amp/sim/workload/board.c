/*
 * Minimal bare-metal board support for the simulator's own workloads (benchmark and test programs).
 * The product firmware lives in firmware/; this file only exists so that `m7amp bench sim` and the
 * simulator tests do not depend on it. Register addresses: RM0410 and the ARMv7-M ARM.
 */
#include <stdint.h>
#include "board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_CR REG(0x40023800u)
#define RCC_PLLCFGR REG(0x40023804u)
#define RCC_CFGR REG(0x40023808u)
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB1ENR REG(0x40023840u)
#define PWR_CR1 REG(0x40007000u)
#define PWR_CSR1 REG(0x40007004u)
#define FLASH_ACR REG(0x40023C00u)
#define GPIOD_MODER REG(0x40020C00u)
#define GPIOD_AFRH REG(0x40020C24u)
#define USART3_CR1 REG(0x40004800u)
#define USART3_BRR REG(0x4000480Cu)
#define USART3_ISR REG(0x4000481Cu)
#define USART3_RDR REG(0x40004824u)
#define USART3_TDR REG(0x40004828u)
#define SCB_VTOR REG(0xE000ED08u)
#define SCB_CPACR REG(0xE000ED88u)
#define DHCSR REG(0xE000EDF0u)

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void Reset_Handler(void);
void Default_Handler(void);

static uint32_t pclk1_hz = 16000000u;

static int wait_bit(volatile uint32_t *reg, uint32_t bit, uint32_t value) {
    for (uint32_t i = 0; i < 100000u; i++)
        if (((*reg & bit) != 0) == (value != 0)) return 0;
    return -1;
}

int board_clock_216mhz(void) {
    RCC_CR |= (1u << 18) | (1u << 16); /* HSEBYP | HSEON */
    if (wait_bit(&RCC_CR, 1u << 17, 1)) return 1;
    RCC_APB1ENR |= 1u << 28;           /* PWREN */
    PWR_CR1 |= 3u << 14;               /* VOS scale 1 */
    RCC_PLLCFGR = 4u | (216u << 6) | (0u << 16) | (1u << 22) | (9u << 24); /* M=4 N=216 P=2 HSE Q=9 */
    RCC_CR |= 1u << 24;                /* PLLON */
    if (wait_bit(&RCC_CR, 1u << 25, 1)) return 2;
    PWR_CR1 |= 1u << 16;               /* ODEN */
    if (wait_bit(&PWR_CSR1, 1u << 16, 1)) return 3;
    PWR_CR1 |= 1u << 17;               /* ODSWEN */
    if (wait_bit(&PWR_CSR1, 1u << 17, 1)) return 4;
    FLASH_ACR = 7u | (1u << 8) | (1u << 9); /* 7 wait states, PRFTEN, ARTEN */
    if ((FLASH_ACR & 0xFu) != 7u) return 5;
    RCC_CFGR = (RCC_CFGR & ~0xFCF3u) | (5u << 10) | (4u << 13) | 2u; /* APB1 /4, APB2 /2, SW=PLL */
    if (wait_bit(&RCC_CFGR, 3u << 2, 1) || ((RCC_CFGR >> 2) & 3u) != 2u) return 6;
    pclk1_hz = 54000000u;
    return 0;
}

void board_uart_init(void) {
    RCC_AHB1ENR |= 1u << 3;  /* GPIOD */
    RCC_APB1ENR |= 1u << 18; /* USART3 */
    GPIOD_MODER = (GPIOD_MODER & ~(0xFu << 16)) | (0xAu << 16); /* PD8, PD9 alternate */
    GPIOD_AFRH = (GPIOD_AFRH & ~0xFFu) | 0x77u;                  /* AF7 */
    USART3_BRR = (pclk1_hz + 57600u) / 115200u;
    USART3_CR1 = (1u << 3) | (1u << 2) | 1u; /* TE | RE | UE */
}

void board_putc(char c) {
    while (!(USART3_ISR & (1u << 7))) {
    }
    USART3_TDR = (uint8_t)c;
}

void board_puts(const char *s) {
    while (*s) board_putc(*s++);
}

void board_putu(uint32_t v) {
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) board_putc(buf[--n]);
}

int board_getc(void) {
    while (!(USART3_ISR & (1u << 5))) {
    }
    return (int)(USART3_RDR & 0xFFu);
}

void board_exit(int status) {
    if (DHCSR & 1u) { /* C_DEBUGEN: a debugger (or the simulator) is attached: semihosting exit */
        volatile uint32_t block[2] = {0x20026u, (uint32_t)status};
        register uint32_t r0 __asm__("r0") = 0x20u;
        register volatile uint32_t *r1 __asm__("r1") = block;
        __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    }
    for (;;) __asm__ volatile("wfi");
}

void board_icache_enable(void) {
    __asm__ volatile("dsb\n isb");
    REG(0xE000EF50u) = 0;     /* ICIALLU */
    __asm__ volatile("dsb\n isb");
    REG(0xE000ED14u) |= 1u << 17; /* CCR.IC */
    __asm__ volatile("dsb\n isb");
}

void board_dcache_enable(void) {
    /* as the firmware does (firmware/board/cache.c): invalidate all 128 sets x 4 ways, then CCR.DC */
    for (uint32_t set = 0; set < 128u; set++)
        for (uint32_t way = 0; way < 4u; way++) REG(0xE000EF60u) = set << 5 | way << 30; /* DCISW */
    __asm__ volatile("dsb");
    REG(0xE000ED14u) |= 1u << 16; /* CCR.DC */
    __asm__ volatile("dsb\n isb");
}

void Reset_Handler(void) {
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss; dst++) *dst = 0;
    SCB_VTOR = 0x08000000u;
    SCB_CPACR |= 0xFu << 20; /* CP10, CP11 full access */
    __asm__ volatile("dsb\n isb");
    board_exit(main());
}

void Default_Handler(void) {
    board_puts("unexpected exception\r\n");
    board_exit(99);
}

#define WEAK_HANDLER(name) void name(void) __attribute__((weak, alias("Default_Handler")))
WEAK_HANDLER(NMI_Handler);
WEAK_HANDLER(HardFault_Handler);
WEAK_HANDLER(SVC_Handler);
WEAK_HANDLER(PendSV_Handler);
WEAK_HANDLER(SysTick_Handler);
WEAK_HANDLER(IRQ0_Handler);
WEAK_HANDLER(IRQ1_Handler);
WEAK_HANDLER(IRQ2_Handler);
WEAK_HANDLER(IRQ3_Handler);
WEAK_HANDLER(USART3_IRQHandler);

typedef void (*vector_t)(void);
__attribute__((section(".isr_vector"), used)) const vector_t vectors[16 + 98] = {
    (vector_t)&_estack, Reset_Handler, NMI_Handler, HardFault_Handler, Default_Handler, Default_Handler,
    Default_Handler, 0, 0, 0, 0, SVC_Handler, Default_Handler, 0, PendSV_Handler, SysTick_Handler,
    [16 + 0] = IRQ0_Handler, [16 + 1] = IRQ1_Handler, [16 + 2] = IRQ2_Handler, [16 + 3] = IRQ3_Handler,
    [16 + 4 ... 16 + 38] = Default_Handler, [16 + 39] = USART3_IRQHandler,
    [16 + 40 ... 16 + 97] = Default_Handler,
};
