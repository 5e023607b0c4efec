/*
 * stm32f767.h - project-written device header for the STM32F767ZI: only the registers m7amp uses.
 *
 * Names follow RM0410 (STM32F76xxx reference manual) for the peripherals and the ARMv7-M Architecture
 * Reference Manual / Cortex-M7 TRM for the core. Each struct member carries its address offset; a
 * _Static_assert per struct pins the layout, so a wrong offset is a compile error, not a silent bug.
 * Bit definitions are named <PERIPH>_<REG>_<FIELD> and given as masks (fields as _Pos + _Msk).
 */
#ifndef M7_STM32F767_H
#define M7_STM32F767_H

#include <stddef.h>
#include <stdint.h>

#define M7_REG_CHECK(type, member, off) _Static_assert(offsetof(type, member) == (off), #type "." #member)

/* ================================ STM32 peripherals (RM0410) ================================ */

/* ---- RCC: reset and clock control, 0x4002 3800 (RM0410 §5.3) ---- */
typedef struct {
    volatile uint32_t CR;          /* 0x00 clock control */
    volatile uint32_t PLLCFGR;     /* 0x04 PLL configuration */
    volatile uint32_t CFGR;        /* 0x08 clock configuration */
    volatile uint32_t CIR;         /* 0x0C clock interrupt */
    volatile uint32_t AHB1RSTR;    /* 0x10 */
    volatile uint32_t AHB2RSTR;    /* 0x14 */
    volatile uint32_t AHB3RSTR;    /* 0x18 */
    uint32_t RESERVED0;            /* 0x1C */
    volatile uint32_t APB1RSTR;    /* 0x20 */
    volatile uint32_t APB2RSTR;    /* 0x24 */
    uint32_t RESERVED1[2];         /* 0x28-0x2C */
    volatile uint32_t AHB1ENR;     /* 0x30 AHB1 peripheral clock enable */
    volatile uint32_t AHB2ENR;     /* 0x34 */
    volatile uint32_t AHB3ENR;     /* 0x38 */
    uint32_t RESERVED2;            /* 0x3C */
    volatile uint32_t APB1ENR;     /* 0x40 APB1 peripheral clock enable */
    volatile uint32_t APB2ENR;     /* 0x44 APB2 peripheral clock enable */
    uint32_t RESERVED3[18];        /* 0x48-0x8C (low-power enables, BDCR, CSR, SSCGR, PLLI2S/SAI, DCKCFGR1) */
    volatile uint32_t DCKCFGR2;    /* 0x90 dedicated clocks configuration 2 (USART kernel clock sel.) */
} RCC_TypeDef;
M7_REG_CHECK(RCC_TypeDef, CFGR, 0x08);
M7_REG_CHECK(RCC_TypeDef, AHB1ENR, 0x30);
M7_REG_CHECK(RCC_TypeDef, APB1ENR, 0x40);
M7_REG_CHECK(RCC_TypeDef, APB2ENR, 0x44);
M7_REG_CHECK(RCC_TypeDef, DCKCFGR2, 0x90);

#define RCC_CR_HSION (1UL << 0)
#define RCC_CR_HSIRDY (1UL << 1)
#define RCC_CR_HSEON (1UL << 16)
#define RCC_CR_HSERDY (1UL << 17)
#define RCC_CR_HSEBYP (1UL << 18)
#define RCC_CR_CSSON (1UL << 19)
#define RCC_CR_PLLON (1UL << 24)
#define RCC_CR_PLLRDY (1UL << 25)

#define RCC_PLLCFGR_PLLM_Pos 0U /* [5:0]   VCO input = source / M (2 <= M <= 63) */
#define RCC_PLLCFGR_PLLM_Msk (0x3FUL << RCC_PLLCFGR_PLLM_Pos)
#define RCC_PLLCFGR_PLLN_Pos 6U /* [14:6]  VCO = input * N (50 <= N <= 432) */
#define RCC_PLLCFGR_PLLN_Msk (0x1FFUL << RCC_PLLCFGR_PLLN_Pos)
#define RCC_PLLCFGR_PLLP_Pos 16U /* [17:16] SYSCLK = VCO / P, encoded 00=2 01=4 10=6 11=8 */
#define RCC_PLLCFGR_PLLP_Msk (0x3UL << RCC_PLLCFGR_PLLP_Pos)
#define RCC_PLLCFGR_PLLSRC_HSE (1UL << 22) /* 0 = HSI, 1 = HSE */
#define RCC_PLLCFGR_PLLQ_Pos 24U /* [27:24] 48 MHz clock = VCO / Q (2..15) */
#define RCC_PLLCFGR_PLLQ_Msk (0xFUL << RCC_PLLCFGR_PLLQ_Pos)
#define RCC_PLLCFGR_PLLR_Pos 28U /* [30:28] DSI clock = VCO / R (2..7) */
#define RCC_PLLCFGR_PLLR_Msk (0x7UL << RCC_PLLCFGR_PLLR_Pos)

#define RCC_CFGR_SW_Pos 0U /* [1:0] system clock switch: 00 HSI, 01 HSE, 10 PLL */
#define RCC_CFGR_SW_Msk (0x3UL << RCC_CFGR_SW_Pos)
#define RCC_CFGR_SW_HSI (0x0UL << RCC_CFGR_SW_Pos)
#define RCC_CFGR_SW_PLL (0x2UL << RCC_CFGR_SW_Pos)
#define RCC_CFGR_SWS_Pos 2U /* [3:2] system clock switch status */
#define RCC_CFGR_SWS_Msk (0x3UL << RCC_CFGR_SWS_Pos)
#define RCC_CFGR_SWS_HSI (0x0UL << RCC_CFGR_SWS_Pos)
#define RCC_CFGR_SWS_PLL (0x2UL << RCC_CFGR_SWS_Pos)
#define RCC_CFGR_HPRE_Pos 4U /* [7:4] AHB prescaler: 0xxx = /1 */
#define RCC_CFGR_HPRE_Msk (0xFUL << RCC_CFGR_HPRE_Pos)
#define RCC_CFGR_PPRE1_Pos 10U /* [12:10] APB1 prescaler: 0xx /1, 100 /2, 101 /4, 110 /8, 111 /16 */
#define RCC_CFGR_PPRE1_Msk (0x7UL << RCC_CFGR_PPRE1_Pos)
#define RCC_CFGR_PPRE1_DIV4 (0x5UL << RCC_CFGR_PPRE1_Pos)
#define RCC_CFGR_PPRE2_Pos 13U /* [15:13] APB2 prescaler, same encoding */
#define RCC_CFGR_PPRE2_Msk (0x7UL << RCC_CFGR_PPRE2_Pos)
#define RCC_CFGR_PPRE2_DIV2 (0x4UL << RCC_CFGR_PPRE2_Pos)

#define RCC_AHB1ENR_GPIODEN (1UL << 3)
#define RCC_APB1ENR_USART3EN (1UL << 18)
#define RCC_APB1ENR_PWREN (1UL << 28)
#define RCC_APB2ENR_SYSCFGEN (1UL << 14)
#define RCC_DCKCFGR2_USART3SEL_Pos 4U /* [5:4] 00 = APB1 clock (PCLK1) */
#define RCC_DCKCFGR2_USART3SEL_Msk (0x3UL << RCC_DCKCFGR2_USART3SEL_Pos)

/* ---- PWR: power controller, 0x4000 7000 (RM0410 §4.4) ---- */
typedef struct {
    volatile uint32_t CR1;  /* 0x00 power control 1 */
    volatile uint32_t CSR1; /* 0x04 power control/status 1 */
} PWR_TypeDef;
M7_REG_CHECK(PWR_TypeDef, CSR1, 0x04);

#define PWR_CR1_VOS_Pos 14U /* [15:14] regulator voltage scaling: 11 = scale 1 */
#define PWR_CR1_VOS_Msk (0x3UL << PWR_CR1_VOS_Pos)
#define PWR_CR1_VOS_SCALE1 (0x3UL << PWR_CR1_VOS_Pos)
#define PWR_CR1_ODEN (1UL << 16)   /* over-drive enable */
#define PWR_CR1_ODSWEN (1UL << 17) /* over-drive switching enable */
#define PWR_CSR1_VOSRDY (1UL << 14)
#define PWR_CSR1_ODRDY (1UL << 16)
#define PWR_CSR1_ODSWRDY (1UL << 17)

/* ---- FLASH interface, 0x4002 3C00 (RM0410 §3.7) ---- */
typedef struct {
    volatile uint32_t ACR; /* 0x00 access control */
} FLASH_TypeDef;

#define FLASH_ACR_LATENCY_Pos 0U /* [3:0] wait states */
#define FLASH_ACR_LATENCY_Msk (0xFUL << FLASH_ACR_LATENCY_Pos)
#define FLASH_ACR_PRFTEN (1UL << 8) /* prefetch enable */
#define FLASH_ACR_ARTEN (1UL << 9)  /* ART accelerator enable */
#define FLASH_ACR_ARTRST (1UL << 11)

/* ---- GPIO, port D at 0x4002 0C00 (RM0410 §6.4) ---- */
typedef struct {
    volatile uint32_t MODER;   /* 0x00 mode: 00 in, 01 out, 10 alternate, 11 analog (2 bits/pin) */
    volatile uint32_t OTYPER;  /* 0x04 output type */
    volatile uint32_t OSPEEDR; /* 0x08 output speed (2 bits/pin) */
    volatile uint32_t PUPDR;   /* 0x0C pull-up/down: 01 up, 10 down (2 bits/pin) */
    volatile uint32_t IDR;     /* 0x10 */
    volatile uint32_t ODR;     /* 0x14 */
    volatile uint32_t BSRR;    /* 0x18 */
    volatile uint32_t LCKR;    /* 0x1C */
    volatile uint32_t AFR[2];  /* 0x20 AFRL (pins 0-7), 0x24 AFRH (pins 8-15): 4 bits/pin */
} GPIO_TypeDef;
M7_REG_CHECK(GPIO_TypeDef, AFR, 0x20);

/* ---- USART (F7 layout), USART3 at 0x4000 4800 (RM0410 §34.8) ---- */
typedef struct {
    volatile uint32_t CR1;  /* 0x00 control 1 */
    volatile uint32_t CR2;  /* 0x04 control 2 */
    volatile uint32_t CR3;  /* 0x08 control 3 */
    volatile uint32_t BRR;  /* 0x0C baud rate */
    volatile uint32_t GTPR; /* 0x10 */
    volatile uint32_t RTOR; /* 0x14 */
    volatile uint32_t RQR;  /* 0x18 */
    volatile uint32_t ISR;  /* 0x1C interrupt and status */
    volatile uint32_t ICR;  /* 0x20 interrupt flag clear */
    volatile uint32_t RDR;  /* 0x24 receive data */
    volatile uint32_t TDR;  /* 0x28 transmit data */
} USART_TypeDef;
M7_REG_CHECK(USART_TypeDef, ISR, 0x1C);
M7_REG_CHECK(USART_TypeDef, TDR, 0x28);

#define USART_CR1_UE (1UL << 0)
#define USART_CR1_RE (1UL << 2)
#define USART_CR1_TE (1UL << 3)
#define USART_CR1_RXNEIE (1UL << 5)
#define USART_CR1_M0 (1UL << 12)
#define USART_CR1_OVER8 (1UL << 15)
#define USART_CR1_M1 (1UL << 28)
#define USART_CR2_STOP_Msk (0x3UL << 12)
#define USART_ISR_ORE (1UL << 3)
#define USART_ISR_RXNE (1UL << 5)
#define USART_ISR_TC (1UL << 6)
#define USART_ISR_TXE (1UL << 7)
#define USART_ICR_ORECF (1UL << 3)

#define RCC_BASE 0x40023800UL
#define PWR_BASE 0x40007000UL
#define FLASH_R_BASE 0x40023C00UL
#define GPIOD_BASE 0x40020C00UL
#define USART3_BASE 0x40004800UL
#define FMC_BANK1_BASE 0x60000000UL

#define RCC ((RCC_TypeDef *)RCC_BASE)
#define PWR ((PWR_TypeDef *)PWR_BASE)
#define FLASH ((FLASH_TypeDef *)FLASH_R_BASE)
#define GPIOD ((GPIO_TypeDef *)GPIOD_BASE)
#define USART3 ((USART_TypeDef *)USART3_BASE)

/* ================================ Cortex-M7 core (ARMv7-M ARM, B3) ============================ */

/* ---- SysTick, 0xE000 E010 (B3.3) ---- */
typedef struct {
    volatile uint32_t CTRL;  /* 0x00 SYST_CSR */
    volatile uint32_t LOAD;  /* 0x04 SYST_RVR (24 bits) */
    volatile uint32_t VAL;   /* 0x08 SYST_CVR */
    volatile uint32_t CALIB; /* 0x0C SYST_CALIB */
} SysTick_Type;
#define SysTick_CTRL_ENABLE (1UL << 0)
#define SysTick_CTRL_TICKINT (1UL << 1)
#define SysTick_CTRL_CLKSOURCE (1UL << 2) /* 1 = processor clock */
#define SysTick_CTRL_COUNTFLAG (1UL << 16)

/* ---- NVIC, 0xE000 E100 (B3.4); STIR is at 0xE000 EF00 ---- */
typedef struct {
    volatile uint32_t ISER[8]; /* 0x000 set-enable */
    uint32_t RESERVED0[24];
    volatile uint32_t ICER[8]; /* 0x080 clear-enable */
    uint32_t RESERVED1[24];
    volatile uint32_t ISPR[8]; /* 0x100 set-pending */
    uint32_t RESERVED2[24];
    volatile uint32_t ICPR[8]; /* 0x180 clear-pending */
    uint32_t RESERVED3[24];
    volatile uint32_t IABR[8]; /* 0x200 active bit */
    uint32_t RESERVED4[56];
    volatile uint8_t IPR[240]; /* 0x300 priority, one byte per IRQ (F7: upper 4 bits implemented) */
} NVIC_Type;
M7_REG_CHECK(NVIC_Type, ICER, 0x080);
M7_REG_CHECK(NVIC_Type, ISPR, 0x100);
M7_REG_CHECK(NVIC_Type, IABR, 0x200);
M7_REG_CHECK(NVIC_Type, IPR, 0x300);
#define NVIC_STIR (*(volatile uint32_t *)0xE000EF00UL) /* software trigger: write the IRQ number */
#define M7_NVIC_PRIO_BITS 4U

/* ---- SCB, 0xE000 ED00 (B3.2) ---- */
typedef struct {
    volatile const uint32_t CPUID; /* 0x00 */
    volatile uint32_t ICSR;        /* 0x04 interrupt control and state */
    volatile uint32_t VTOR;        /* 0x08 vector table offset */
    volatile uint32_t AIRCR;       /* 0x0C application interrupt and reset control */
    volatile uint32_t SCR;         /* 0x10 system control */
    volatile uint32_t CCR;         /* 0x14 configuration and control */
    volatile uint8_t SHPR[12];     /* 0x18 system handler priority, SHPR1-3 (exceptions 4..15) */
    volatile uint32_t SHCSR;       /* 0x24 system handler control and state */
    volatile uint32_t CFSR;        /* 0x28 configurable fault status (MMFSR | BFSR<<8 | UFSR<<16) */
    volatile uint32_t HFSR;        /* 0x2C hard fault status */
    volatile uint32_t DFSR;        /* 0x30 */
    volatile uint32_t MMFAR;       /* 0x34 MemManage fault address */
    volatile uint32_t BFAR;        /* 0x38 BusFault address */
    volatile uint32_t AFSR;        /* 0x3C */
    uint32_t RESERVED0[16];        /* 0x40-0x7C feature registers, CLIDR, CTR */
    volatile const uint32_t CCSIDR; /* 0x80 cache size ID (selected by CSSELR) */
    volatile uint32_t CSSELR;      /* 0x84 cache size selection */
    volatile uint32_t CPACR;       /* 0x88 coprocessor access control */
} SCB_Type;
M7_REG_CHECK(SCB_Type, SHPR, 0x18);
M7_REG_CHECK(SCB_Type, SHCSR, 0x24);
M7_REG_CHECK(SCB_Type, BFAR, 0x38);
M7_REG_CHECK(SCB_Type, CCSIDR, 0x80);
M7_REG_CHECK(SCB_Type, CPACR, 0x88);

#define SCB_CPUID_PARTNO_Pos 4U /* [15:4] 0xC27 = Cortex-M7 */
#define SCB_CPUID_PARTNO_Msk (0xFFFUL << SCB_CPUID_PARTNO_Pos)
#define SCB_ICSR_VECTACTIVE_Msk 0x1FFUL
#define SCB_ICSR_PENDSTSET (1UL << 26)
#define SCB_AIRCR_VECTKEY (0x05FAUL << 16)
#define SCB_AIRCR_PRIGROUP_Msk (0x7UL << 8)
#define SCB_AIRCR_SYSRESETREQ (1UL << 2)
#define SCB_SCR_SLEEPDEEP (1UL << 2)
#define SCB_CCR_UNALIGN_TRP (1UL << 3)
#define SCB_CCR_DIV_0_TRP (1UL << 4)
#define SCB_CCR_STKALIGN (1UL << 9)
#define SCB_CCR_DC (1UL << 16) /* data cache enable */
#define SCB_CCR_IC (1UL << 17) /* instruction cache enable */
#define SCB_CCR_BP (1UL << 18)
#define SCB_SHCSR_MEMFAULTENA (1UL << 16)
#define SCB_SHCSR_BUSFAULTENA (1UL << 17)
#define SCB_SHCSR_USGFAULTENA (1UL << 18)
#define SCB_HFSR_VECTTBL (1UL << 1)
#define SCB_HFSR_FORCED (1UL << 30)
#define SCB_HFSR_DEBUGEVT (1UL << 31)
#define SCB_CFSR_MMARVALID (1UL << 7)
#define SCB_CFSR_BFARVALID (1UL << 15)
#define SCB_CPACR_CP10_CP11_FULL (0xFUL << 20)
/* CCSIDR fields (B4.8.3): line size log2(words)-2 [2:0], associativity-1 [12:3], sets-1 [27:13] */
#define SCB_CCSIDR_LINESIZE(x) ((x) & 0x7UL)
#define SCB_CCSIDR_WAYS(x) (((x) >> 3) & 0x3FFUL)
#define SCB_CCSIDR_SETS(x) (((x) >> 13) & 0x7FFFUL)

/* ---- cache maintenance operations, 0xE000 EF50 (B4.8) ---- */
typedef struct {
    volatile uint32_t ICIALLU;  /* 0x50 I-cache invalidate all to PoU */
    uint32_t RESERVED0;         /* 0x54 */
    volatile uint32_t ICIMVAU;  /* 0x58 I-cache invalidate by address */
    volatile uint32_t DCIMVAC;  /* 0x5C D-cache invalidate by address */
    volatile uint32_t DCISW;    /* 0x60 D-cache invalidate by set/way */
    volatile uint32_t DCCMVAU;  /* 0x64 D-cache clean by address to PoU */
    volatile uint32_t DCCMVAC;  /* 0x68 D-cache clean by address to PoC */
    volatile uint32_t DCCSW;    /* 0x6C D-cache clean by set/way */
    volatile uint32_t DCCIMVAC; /* 0x70 D-cache clean and invalidate by address */
    volatile uint32_t DCCISW;   /* 0x74 D-cache clean and invalidate by set/way */
    volatile uint32_t BPIALL;   /* 0x78 branch predictor invalidate all */
} M7_CACHE_Type;
M7_REG_CHECK(M7_CACHE_Type, DCISW, 0x10);
M7_REG_CHECK(M7_CACHE_Type, BPIALL, 0x28);

/* ---- FP extension control, 0xE000 EF34 (B3.2.20-22) ---- */
typedef struct {
    volatile uint32_t FPCCR;  /* 0x34 FP context control */
    volatile uint32_t FPCAR;  /* 0x38 FP context address */
    volatile uint32_t FPDSCR; /* 0x3C FP default status control (FPSCR of a handler's context) */
} FPU_Type;
#define FPU_FPCCR_LSPEN (1UL << 30) /* lazy state preservation */
#define FPU_FPCCR_ASPEN (1UL << 31) /* automatic state preservation (CONTROL.FPCA on FP use) */
#define FPSCR_FZ (1UL << 24)        /* flush-to-zero */
#define FPSCR_DN (1UL << 25)        /* default NaN */

/* ---- MPU, 0xE000 ED90 (B3.5) ---- */
typedef struct {
    volatile const uint32_t TYPE; /* 0x00 */
    volatile uint32_t CTRL;       /* 0x04 */
    volatile uint32_t RNR;        /* 0x08 region number */
    volatile uint32_t RBAR;       /* 0x0C region base address */
    volatile uint32_t RASR;       /* 0x10 region attribute and size */
} MPU_Type;
#define MPU_CTRL_ENABLE (1UL << 0)
#define MPU_CTRL_PRIVDEFENA (1UL << 2) /* background map for privileged accesses */
#define MPU_RASR_ENABLE (1UL << 0)
#define MPU_RASR_SIZE(log2_bytes) ((uint32_t)((log2_bytes) - 1U) << 1) /* size = 2^(SIZE+1) */
#define MPU_RASR_AP_NONE (0x0UL << 24) /* no access, privileged or not */
#define MPU_RASR_XN (1UL << 28)

/* ---- DWT, 0xE000 1000 (C1.8); CoreDebug 0xE000 EDF0 (C1.6) ---- */
typedef struct {
    volatile uint32_t CTRL;   /* 0x000 */
    volatile uint32_t CYCCNT; /* 0x004 cycle counter */
    uint32_t RESERVED0[1002]; /* 0x008-0xFAC */
    volatile uint32_t LAR;    /* 0xFB0 lock access (Cortex-M7: write 0xC5ACCE55 to unlock) */
} DWT_Type;
M7_REG_CHECK(DWT_Type, LAR, 0xFB0);
#define DWT_CTRL_CYCCNTENA (1UL << 0)
#define DWT_LAR_KEY 0xC5ACCE55UL

typedef struct {
    volatile uint32_t DHCSR; /* 0x00 debug halting control and status */
    volatile uint32_t DCRSR; /* 0x04 */
    volatile uint32_t DCRDR; /* 0x08 */
    volatile uint32_t DEMCR; /* 0x0C debug exception and monitor control */
} CoreDebug_Type;
#define CoreDebug_DHCSR_C_DEBUGEN (1UL << 0)
#define CoreDebug_DEMCR_TRCENA (1UL << 24)

#define SysTick ((SysTick_Type *)0xE000E010UL)
#define NVIC ((NVIC_Type *)0xE000E100UL)
#define SCB ((SCB_Type *)0xE000ED00UL)
#define M7_CACHE ((M7_CACHE_Type *)0xE000EF50UL)
#define FPU ((FPU_Type *)0xE000EF34UL)
#define MPU ((MPU_Type *)0xE000ED90UL)
#define DWT ((DWT_Type *)0xE0001000UL)
#define CoreDebug ((CoreDebug_Type *)0xE000EDF0UL)

/* ---- interrupt numbers used by the firmware (stm32f767xx IRQn numbering) ---- */
enum {
    SysTick_IRQn = -1,
    EXTI0_IRQn = 6,
    EXTI1_IRQn = 7,
    EXTI2_IRQn = 8,
    EXTI3_IRQn = 9,
    EXTI4_IRQn = 10,
    EXTI9_5_IRQn = 23,
    USART3_IRQn = 39,
    M7_IRQ_COUNT = 110, /* external interrupts 0..109 in the vector table */
};

/* =========================== audio: PLLSAI, SAI1, DMA2, GPIOE (RM0410) =========================== */

/* ---- RCC registers of the audio clocks. RCC_TypeDef above covers 0x84-0x8C with a reserved block, so
 * they are named here by address (RM0410 §5.3.23-5.3.25). ---- */
#define RCC_PLLI2SCFGR (*(volatile uint32_t *)(RCC_BASE + 0x84UL)) /* PLLI2S configuration */
#define RCC_PLLSAICFGR (*(volatile uint32_t *)(RCC_BASE + 0x88UL)) /* PLLSAI configuration */
#define RCC_DCKCFGR1 (*(volatile uint32_t *)(RCC_BASE + 0x8CUL))   /* dedicated clocks configuration 1 */

#define RCC_CR_PLLI2SON (1UL << 26)
#define RCC_CR_PLLI2SRDY (1UL << 27)
#define RCC_CR_PLLSAION (1UL << 28)
#define RCC_CR_PLLSAIRDY (1UL << 29)
/* PLLSAI: VCO = (PLL source / PLLM) * PLLSAIN (input = the main PLL's, PLLM and PLLSRC are shared) */
#define RCC_PLLSAICFGR_PLLSAIN_Pos 6U /* [14:6]  50 <= N <= 432, VCO 100..432 MHz */
#define RCC_PLLSAICFGR_PLLSAIN_Msk (0x1FFUL << RCC_PLLSAICFGR_PLLSAIN_Pos)
#define RCC_PLLSAICFGR_PLLSAIP_Pos 16U /* [17:16] 48 MHz domain = VCO / P: 00=2 01=4 10=6 11=8 */
#define RCC_PLLSAICFGR_PLLSAIP_Msk (0x3UL << RCC_PLLSAICFGR_PLLSAIP_Pos)
#define RCC_PLLSAICFGR_PLLSAIQ_Pos 24U /* [27:24] SAI/LTDC clock = VCO / Q, 2..15 */
#define RCC_PLLSAICFGR_PLLSAIQ_Msk (0xFUL << RCC_PLLSAICFGR_PLLSAIQ_Pos)
#define RCC_PLLSAICFGR_PLLSAIR_Pos 28U /* [30:28] LTDC clock = VCO / R, 2..7 */
#define RCC_PLLSAICFGR_PLLSAIR_Msk (0x7UL << RCC_PLLSAICFGR_PLLSAIR_Pos)
#define RCC_DCKCFGR1_PLLI2SDIVQ_Pos 0U /* [4:0]  SAI clock from PLLI2S = PLLI2S_Q / (DIVQ + 1) */
#define RCC_DCKCFGR1_PLLI2SDIVQ_Msk (0x1FUL << RCC_DCKCFGR1_PLLI2SDIVQ_Pos)
#define RCC_DCKCFGR1_PLLSAIDIVQ_Pos 8U /* [12:8] SAI clock from PLLSAI = PLLSAI_Q / (DIVQ + 1) */
#define RCC_DCKCFGR1_PLLSAIDIVQ_Msk (0x1FUL << RCC_DCKCFGR1_PLLSAIDIVQ_Pos)
#define RCC_DCKCFGR1_SAI1SEL_Pos 20U /* [21:20] SAI1 kernel clock: 00 PLLSAI_Q/DIVQ, 01 PLLI2S_Q/DIVQ, 10 I2S_CKIN */
#define RCC_DCKCFGR1_SAI1SEL_Msk (0x3UL << RCC_DCKCFGR1_SAI1SEL_Pos)
#define RCC_DCKCFGR1_SAI1SEL_PLLSAI (0x0UL << RCC_DCKCFGR1_SAI1SEL_Pos)

#define RCC_AHB1ENR_GPIOEEN (1UL << 4)
#define RCC_AHB1ENR_DMA2EN (1UL << 22)
#define RCC_APB2ENR_SAI1EN (1UL << 22)

/* ---- SAI: serial audio interface, SAI1 at 0x4001 5800 (RM0410 §35.5). Block A at +0x04, B at +0x24 ---- */
typedef struct {
    volatile uint32_t CR1;   /* 0x00 configuration 1 */
    volatile uint32_t CR2;   /* 0x04 configuration 2 */
    volatile uint32_t FRCR;  /* 0x08 frame configuration */
    volatile uint32_t SLOTR; /* 0x0C slot */
    volatile uint32_t IMR;   /* 0x10 interrupt mask */
    volatile uint32_t SR;    /* 0x14 status */
    volatile uint32_t CLRFR; /* 0x18 clear flag */
    volatile uint32_t DR;    /* 0x1C data */
} SAI_Block_TypeDef;
M7_REG_CHECK(SAI_Block_TypeDef, DR, 0x1C);

typedef struct {
    volatile uint32_t GCR; /* 0x00 global configuration (sync with other SAIs) */
    SAI_Block_TypeDef A;   /* 0x04 */
    SAI_Block_TypeDef B;   /* 0x24 */
} SAI_TypeDef;
M7_REG_CHECK(SAI_TypeDef, A, 0x04);
M7_REG_CHECK(SAI_TypeDef, B, 0x24);

#define SAI_xCR1_MODE_Pos 0U /* [1:0] 00 master TX, 01 master RX, 10 slave TX, 11 slave RX */
#define SAI_xCR1_MODE_MASTER_TX (0x0UL << SAI_xCR1_MODE_Pos)
#define SAI_xCR1_MODE_SLAVE_RX (0x3UL << SAI_xCR1_MODE_Pos)
#define SAI_xCR1_PRTCFG_Pos 2U /* [3:2] 00 free protocol (I2S is built from FRCR/SLOTR) */
#define SAI_xCR1_DS_Pos 5U     /* [7:5] data size: 010 8, 011 10, 100 16, 101 20, 110 24, 111 32 bits */
#define SAI_xCR1_DS_Msk (0x7UL << SAI_xCR1_DS_Pos)
#define SAI_xCR1_DS_16 (0x4UL << SAI_xCR1_DS_Pos)
#define SAI_xCR1_LSBFIRST (1UL << 8)
#define SAI_xCR1_CKSTR (1UL << 9) /* 1: outputs change on SCK falling edge, inputs sampled on rising */
#define SAI_xCR1_SYNCEN_Pos 10U   /* [11:10] 00 asynchronous, 01 synchronous with the other block */
#define SAI_xCR1_SYNCEN_Msk (0x3UL << SAI_xCR1_SYNCEN_Pos)
#define SAI_xCR1_SYNCEN_INTERNAL (0x1UL << SAI_xCR1_SYNCEN_Pos)
#define SAI_xCR1_MONO (1UL << 12)
#define SAI_xCR1_OUTDRIV (1UL << 13)
#define SAI_xCR1_SAIEN (1UL << 16)
#define SAI_xCR1_DMAEN (1UL << 17)
#define SAI_xCR1_NODIV (1UL << 19)
#define SAI_xCR1_MCKDIV_Pos 20U /* [23:20] MCLK = SAI_CK / (2 * MCKDIV), or SAI_CK when 0; FS = MCLK / 256 */
#define SAI_xCR1_MCKDIV_Msk (0xFUL << SAI_xCR1_MCKDIV_Pos)
#define SAI_xCR2_FTH_Pos 0U /* [2:0] FIFO threshold: 000 empty, 001 1/4, 010 1/2, 011 3/4, 100 full */
#define SAI_xCR2_FTH_QUARTER (0x1UL << SAI_xCR2_FTH_Pos)
#define SAI_xCR2_FFLUSH (1UL << 3)
#define SAI_xFRCR_FRL_Pos 0U    /* [7:0] frame length - 1 (bit clocks) */
#define SAI_xFRCR_FSALL_Pos 8U  /* [14:8] FS active length - 1 */
#define SAI_xFRCR_FSDEF (1UL << 16) /* FS is start of frame + channel side (I2S word select) */
#define SAI_xFRCR_FSPOL (1UL << 17) /* 0: FS active low */
#define SAI_xFRCR_FSOFF (1UL << 18) /* 1: FS asserted one bit before the first bit of slot 0 */
#define SAI_xSLOTR_FBOFF_Pos 0U  /* [4:0] first bit offset in the slot */
#define SAI_xSLOTR_SLOTSZ_Pos 6U /* [7:6] 00 = data size, 01 16 bits, 10 32 bits */
#define SAI_xSLOTR_SLOTSZ_32 (0x2UL << SAI_xSLOTR_SLOTSZ_Pos)
#define SAI_xSLOTR_NBSLOT_Pos 8U   /* [11:8] slots - 1 */
#define SAI_xSLOTR_SLOTEN_Pos 16U  /* [31:16] slot enables */
#define SAI_xSR_OVRUDR (1UL << 0)  /* overrun (RX) / underrun (TX) */
#define SAI_xSR_WCKCFG (1UL << 2)  /* wrong clock configuration */
#define SAI_xSR_AFSDET (1UL << 5)  /* anticipated frame sync (slave) */
#define SAI_xSR_LFSDET (1UL << 6)  /* late frame sync (slave) */
#define SAI_xCLRFR_ALL 0x77UL      /* COVRUDR CMUTEDET CWCKCFG CCNRDY CAFSDET CLFSDET (bit 3 reserved) */

/* ---- DMA2, 0x4002 6400 (RM0410 §8.5). Streams at 0x10 + 0x18 * n ---- */
typedef struct {
    volatile uint32_t CR;   /* 0x00 configuration */
    volatile uint32_t NDTR; /* 0x04 number of data items still to transfer */
    volatile uint32_t PAR;  /* 0x08 peripheral address */
    volatile uint32_t M0AR; /* 0x0C memory 0 address */
    volatile uint32_t M1AR; /* 0x10 memory 1 address (double-buffer mode) */
    volatile uint32_t FCR;  /* 0x14 FIFO control */
} DMA_Stream_TypeDef;
M7_REG_CHECK(DMA_Stream_TypeDef, FCR, 0x14);

typedef struct {
    volatile uint32_t LISR;  /* 0x00 low interrupt status (streams 0-3) */
    volatile uint32_t HISR;  /* 0x04 high interrupt status (streams 4-7) */
    volatile uint32_t LIFCR; /* 0x08 low interrupt flag clear */
    volatile uint32_t HIFCR; /* 0x0C high interrupt flag clear */
    DMA_Stream_TypeDef S[8]; /* 0x10 + 0x18 * n */
} DMA_TypeDef;
M7_REG_CHECK(DMA_TypeDef, S, 0x10);
_Static_assert(sizeof(DMA_TypeDef) == 0x10 + 8 * 0x18, "DMA_TypeDef size");

#define DMA_SxCR_EN (1UL << 0)
#define DMA_SxCR_DMEIE (1UL << 1)
#define DMA_SxCR_TEIE (1UL << 2)
#define DMA_SxCR_HTIE (1UL << 3)
#define DMA_SxCR_TCIE (1UL << 4)
#define DMA_SxCR_DIR_Pos 6U /* [7:6] 00 peripheral-to-memory, 01 memory-to-peripheral */
#define DMA_SxCR_DIR_P2M (0x0UL << DMA_SxCR_DIR_Pos)
#define DMA_SxCR_DIR_M2P (0x1UL << DMA_SxCR_DIR_Pos)
#define DMA_SxCR_CIRC (1UL << 8)
#define DMA_SxCR_PINC (1UL << 9)
#define DMA_SxCR_MINC (1UL << 10)
#define DMA_SxCR_PSIZE_Pos 11U /* [12:11] 00 byte, 01 half-word, 10 word */
#define DMA_SxCR_MSIZE_Pos 13U /* [14:13] same encoding */
#define DMA_SxCR_PL_Pos 16U    /* [17:16] priority: 11 very high */
#define DMA_SxCR_DBM (1UL << 18)
#define DMA_SxCR_CT (1UL << 19)
#define DMA_SxCR_CHSEL_Pos 25U /* [28:25] request channel 0..15 (4 bits on the F76x) */
#define DMA_SxCR_CHSEL_Msk (0xFUL << DMA_SxCR_CHSEL_Pos)
/* Stream flags, as 6-bit groups in LISR/HISR at bit 0, 6, 16, 22 for streams 0/4, 1/5, 2/6, 3/7. */
#define DMA_FLAG_FEIF (1UL << 0) /* FIFO error */
#define DMA_FLAG_DMEIF (1UL << 2) /* direct mode error */
#define DMA_FLAG_TEIF (1UL << 3) /* transfer error */
#define DMA_FLAG_HTIF (1UL << 4) /* half transfer */
#define DMA_FLAG_TCIF (1UL << 5) /* transfer complete */
#define DMA_FLAG_ALL 0x3DUL

#define GPIOE_BASE 0x40021000UL
#define SAI1_BASE 0x40015800UL
#define DMA2_BASE 0x40026400UL
#define GPIOE ((GPIO_TypeDef *)GPIOE_BASE)
#define SAI1 ((SAI_TypeDef *)SAI1_BASE)
#define DMA2 ((DMA_TypeDef *)DMA2_BASE)

/* interrupt numbers of the audio path (RM0410 table 40) */
enum {
    DMA2_Stream1_IRQn = 57,
    DMA2_Stream5_IRQn = 68,
    SAI1_IRQn = 87,
};

#endif /* M7_STM32F767_H */
