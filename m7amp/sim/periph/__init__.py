"""Peripheral models of the STM32F767, one class per file, named and laid out as in RM0410.

``models_for(entry)`` maps an entry of the board's .repl (by Renode model type, or by name where the
.repl uses a generic Renode type) to the simulator models that implement it. Entries with no model
become a ``Tag``: reads give 0 and writes are reported.
"""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral, Registers, Tag
from m7amp.sim.periph.coredebug import CoreDebug
from m7amp.sim.periph.dma import Dma
from m7amp.sim.periph.dwt import Dwt
from m7amp.sim.periph.flash import FlashInterface
from m7amp.sim.periph.fpu import Fpu
from m7amp.sim.periph.gpio import Gpio
from m7amp.sim.periph.mpu import Mpu
from m7amp.sim.periph.nvic import Nvic
from m7amp.sim.periph.pwr import Pwr
from m7amp.sim.periph.rcc import Rcc
from m7amp.sim.periph.sai import AudioLink, Sai
from m7amp.sim.periph.scb import Scb
from m7amp.sim.periph.syscfg import Syscfg
from m7amp.sim.periph.systick import SysTick
from m7amp.sim.periph.usart import Usart

# Renode model type -> simulator model(s). IRQControllers.NVIC is Renode's whole System Control Space
# (NVIC, SysTick, SCB, ...): the simulator splits it into the architectural blocks.
BY_TYPE: dict[str, tuple[type[Peripheral], ...]] = {
    "IRQControllers.NVIC": (Nvic, SysTick, Scb, CoreDebug, Fpu, Mpu),
    "Miscellaneous.STM32F4_RCC": (Rcc,),
    "Miscellaneous.DWT": (Dwt,),
    "Miscellaneous.STM32_SYSCFG": (Syscfg,),
    "Miscellaneous.STM32_PWR": (Pwr,),
    "GPIOPort.STM32_GPIOPort": (Gpio,),
    "UART.STM32F7_USART": (Usart,),
    "DMA.STM32DMA": (Dma,),
}
# Entries whose Renode type is generic (a Python peripheral, plain memory) but which the simulator models.
BY_NAME: dict[str, tuple[type[Peripheral], ...]] = {
    "flash_regs": (FlashInterface,),
    "sai1": (Sai,),  # Renode: m7amp's own C# model (renode/STM32F7_SAI.cs)
    "dma2": (Dma,),  # Renode: m7amp's own C# model (renode/STM32F7_DMA.cs)
}

__all__ = [
    "BY_NAME", "BY_TYPE", "AudioLink", "CoreDebug", "Dma", "Dwt", "FlashInterface", "Fpu", "Gpio", "Mpu",
    "Nvic", "Peripheral", "Pwr", "Rcc", "Registers", "Sai", "Scb", "SysTick", "Syscfg", "Tag", "Usart",
]
