"""The .repl subset parser, and the board file both Renode and the simulator read."""

from __future__ import annotations

import pytest

from m7amp.sim import DEFAULT_REPL, ReplError, load_repl, parse_repl


def test_board_file_matches_the_firmware_contract() -> None:
    board = load_repl()
    assert board["itcm"].addresses == [0x0000_0000] and board["itcm"].size == 16 * 1024
    assert board["flash"].addresses == [0x0800_0000, 0x0020_0000] and board["flash"].size == 2 * 1024 * 1024
    assert (board["dtcm"].address, board["dtcm"].size) == (0x2000_0000, 128 * 1024)
    assert (board["sram1"].address, board["sram1"].size) == (0x2002_0000, 368 * 1024)
    assert (board["sram2"].address, board["sram2"].size) == (0x2007_C000, 16 * 1024)
    assert board["usart3"].type == "UART.STM32F7_USART"
    assert (board["usart3"].address, board["usart3"].irq) == (0x4000_4800, 39)
    # named as Renode requires (STM32F7_USART has two GPIO outputs: a bare `->` is its error E15)
    assert board["usart3"].irqs == {"IRQ": ("nvic", 39)}
    assert board["rcc"].address == 0x4002_3800 and board["pwr"].address == 0x4000_7000
    assert board["flash_regs"].address == 0x4002_3C00
    assert board["nvic"].address == 0xE000_E000 and board["dwt"].address == 0xE000_1000
    assert board["dwt"].properties["frequency"] == 216_000_000
    cpu = board["cpu"]
    assert cpu.properties["cpuType"] == "cortex-m7" and cpu.properties["PerformanceInMips"] == 216


def test_board_file_is_self_contained() -> None:
    text = DEFAULT_REPL.read_text()
    assert "using" not in text.split() and "http" not in text and "ApplySVD" not in text


def test_syntax_subset() -> None:
    entries = parse_repl(
        "// comment\n"
        "mem: Memory.MappedMemory @ { sysbus 0x1000; sysbus 0x8000 }  // two registrations\n"
        "    size: 0x400\n"
        "gpio: GPIOPort.STM32_GPIOPort @ sysbus <0x40020C00, +0x400>\n"
        "uart: UART.STM32F7_USART @ sysbus 0x40004800\n"
        '    name: "a // not a comment"\n'
        "    flag: true\n"
        "    ref: mem\n"
        "    -> ctrl@39\n"
        "    TX -> ctrl@7\n"
        "ctrl: IRQControllers.NVIC @ sysbus 0xE000E000\n"
        "cpu: CPU.CortexM @ sysbus\n"
    )
    assert list(entries) == ["mem", "gpio", "uart", "ctrl", "cpu"]
    assert entries["mem"].addresses == [0x1000, 0x8000] and entries["mem"].size == 0x400
    assert (entries["gpio"].address, entries["gpio"].size) == (0x40020C00, 0x400)
    uart = entries["uart"]
    assert uart.properties == {"name": "a // not a comment", "flag": True, "ref": "mem"}
    assert uart.irqs == {"": ("ctrl", 39), "TX": ("ctrl", 7)}
    assert entries["cpu"].addresses == []


def test_irq_follows_the_default_line_else_the_line_named_irq() -> None:
    head = "nvic: IRQControllers.NVIC @ sysbus 0xE000E000\nu: UART.STM32F7_USART @ sysbus 0x40004800\n"
    assert parse_repl(head + "    IRQ -> nvic@39\n    ReceiveDmaRequest -> nvic@7\n")["u"].irq == 39
    assert parse_repl(head + "    -> nvic@38\n    IRQ -> nvic@39\n")["u"].irq == 38
    assert parse_repl(head + "    TX -> nvic@39\n")["u"].irq is None


@pytest.mark.parametrize(("text", "line", "message"), [
    ("using \"platforms/cpus/stm32f746.repl\"\n", 1, "'using' is not supported"),
    ("a: Memory.MappedMemory @ sysbus 0x0\n    size: 0x10\nbogus line\n", 3, "expected 'name: Type"),
    ("    size: 4\n", 1, "outside an entry"),
    ("a: X.Y @ sysbus 0x0\na: X.Y @ sysbus 0x4\n", 2, "defined twice"),
    ("a: X.Y @ sysbus 0xZZ\n", 1, "expected a number"),
    ("a: X.Y @ cpu 0x0\n", 1, "only 'sysbus'"),
    ("a: X.Y @ sysbus 0x0\n    init:\n", 2, "expected 'key: value'"),
    ("a: X.Y @ sysbus 0x0\n    init: x\n", 2, "'init' blocks"),
    ('a: X.Y @ sysbus 0x0\n    name: "open\n', 2, "unterminated string"),
    ("a: X.Y @ sysbus 0x0\n    -> nowhere@3\n", 1, "unknown 'nowhere'"),
    ("a: X.Y @ sysbus 0x0\n\tsize: 4\n", 2, "tabs"),
])
def test_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ReplError) as info:
        parse_repl(text, "board.repl")
    assert f"board.repl:{line}:" in str(info.value)
    assert message in str(info.value)


def test_missing_file_is_one_line_error(tmp_path) -> None:
    with pytest.raises(ReplError, match="cannot read platform file"):
        load_repl(tmp_path / "none.repl")
