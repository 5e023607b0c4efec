"""Renode (m7amp/targets/renode.py): the version check and the one-line errors with stand-in `renode`
scripts, then the real Renode (>= 1.16.1, found through $RENODE or PATH; skipped with the reason
otherwise): the board description loads with no error and no warning, the selftest passes and ends
through its m7_exit hook, a broken .repl, a firmware fault and a time limit each give one line, and the
host link plays the same bits as in the simulator."""

from __future__ import annotations

import shutil
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from m7amp.errors import M7Error
from m7amp.targets.renode import (
    RESC,
    RenodeSession,
    RenodeTarget,
    check_renode,
    fault_dump,
    renode_version,
)
from tests._skips import requires_arm_gcc, requires_renode

SELFTEST_SECONDS = 120.0  # host-time limit for a run that takes ~15 s on a loaded 2-core machine


# Renode's console: commands from stdin until "quit"
PROMPT = 'while read -r line; do [ "$line" = quit ] && exit 0; done'


def fake_renode(tmp_path: Path, body: str, version: str = "Renode v1.16.1.4038") -> str:
    """A stand-in `renode` script: prints ``version`` for --version, else runs the shell ``body``."""
    path = tmp_path / "renode"
    path.write_text(f'#!/bin/sh\nif [ "$1" = --version ]; then echo "{version}"; exit 0; fi\n{body}\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def elf_stub(tmp_path: Path) -> Path:
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    return elf


# ---- without Renode ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("version", "dotted"), [("Renode v1.15.3.27745", "1.15.3"),
                                                ("Renode, version 1.16.0 (abc)", "1.16.0")])
def test_too_old_renode_is_refused_in_one_line_with_the_reason(tmp_path: Path, version: str,
                                                                dotted: str) -> None:
    exe = fake_renode(tmp_path, "exit 1", version)
    with pytest.raises(M7Error, match=r"too old: m7amp needs Renode >= 1\.16\.1, because .*VMINNM") as info:
        check_renode(exe)
    assert "\n" not in str(info.value) and str(info.value).startswith(f"Renode {dotted} ({exe})")
    assert "too old" in (RenodeTarget.unavailable_reason(renode=exe) or "")


def test_version_check_accepts_newer_and_reports_garbage(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert renode_version(fake_renode(tmp_path / "a", "exit 1", "Renode v1.17.0.1")) == (1, 17, 0)
    with pytest.raises(M7Error, match=r"--version printed no Renode version \(exit 0: hello\)"):
        renode_version(fake_renode(tmp_path / "b", "exit 1", "hello"))


def test_missing_elf_is_one_line_before_renode_starts(tmp_path: Path) -> None:
    with pytest.raises(M7Error, match=r"nowhere\.elf: no such firmware ELF"):
        RenodeSession(fake_renode(tmp_path, "exit 1")).start(tmp_path / "nowhere.elf")


def test_script_error_is_renodes_message_at_once_although_renode_waits(tmp_path: Path) -> None:
    # What Renode prints in --console mode when a .repl line is wrong; then it waits at its prompt.
    exe = fake_renode(tmp_path, """echo "(monitor) include @m7amp.resc"
echo "There was an error executing command 'machine LoadPlatformDescription @b.repl'"
echo "Error E15: Ambiguous choice of default interrupt."
echo "At b.repl:72:5:"
echo "    -> nvic@39"
echo "    ^"
printf "(m7amp) "
""" + PROMPT)
    with RenodeSession(exe) as session, pytest.raises(M7Error) as info:
        t0 = time.monotonic()
        try:
            session.start(elf_stub(tmp_path))
            session.wait_exit(30)
        finally:
            assert time.monotonic() - t0 < 5
    assert str(info.value) == ("renode: 'machine LoadPlatformDescription @b.repl' failed: Error E15: "
                               "Ambiguous choice of default interrupt. At b.repl:72:5: -> nvic@39")


def test_time_limit_and_early_exit_name_renodes_last_lines(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    exe = fake_renode(tmp_path / "a", f'echo "12:00:00.0000 [INFO] m7amp: Machine started."\n{PROMPT}')
    with RenodeSession(exe) as session, pytest.raises(M7Error) as info:
        session.start(elf_stub(tmp_path))
        session.wait_exit(0.5)
    assert str(info.value) == ("renode did not see the firmware stop (m7_exit) within 0.5 s; Renode's log "
                               "ends: 12:00:00.0000 [INFO] m7amp: Machine started.")
    exe = fake_renode(tmp_path / "b", 'echo "(m7amp) 12:00:00.0000 [ERROR] cpu: CPU abort [PC=0x8000100]"\n'
                      + PROMPT)
    abort = r"^renode: cpu: CPU abort \[PC=0x8000100\]$"
    with RenodeSession(exe) as session, pytest.raises(M7Error, match=abort):
        session.start(elf_stub(tmp_path))
        session.wait_exit(30)


def test_fault_dump_is_the_firmwares_report_on_one_line() -> None:
    uart = ("M7AMP FAULTTEST READY\r\nfaulttest: 'i'\r\n\r\nM7AMP FAULT UsageFault\r\n  CFSR  0x00010000 "
            "UNDEFINSTR\r\n  HFSR  0x00000000\r\n")
    assert fault_dump(uart) == "M7AMP FAULT UsageFault; CFSR  0x00010000 UNDEFINSTR; HFSR  0x00000000"
    assert fault_dump("M7AMP FAULTTEST READY\r\n") is None


# ---- the real Renode ---------------------------------------------------------------------------------

def _firmware(app: str, **kwargs: object) -> Path:
    from m7amp import firmware

    return firmware.build(app, **kwargs)


@requires_renode
@requires_arm_gcc
def test_selftest_passes_in_renode_and_the_board_loads_without_warnings() -> None:
    with RenodeSession() as session:
        session.start(_firmware("selftest"))
        status = session.wait_exit(SELFTEST_SECONDS)
        uart = session.uart_text()
        log = session.log_path.read_text()
    assert status == 0 and "M7AMP SELFTEST PASS" in uart, uart[-2000:]
    assert "58 checks, 0 failed" in uart and "SysTick 1 kHz against CYCCNT" in uart
    setup = log.split("Starting emulation...")[0]  # the .repl, the .resc and the ELF, before the run
    assert "Including script(s)" in setup and "System bus created" in setup and "Loading block" in setup
    assert "[WARNING]" not in setup and "[ERROR]" not in setup and "error" not in setup.lower(), setup
    assert "m7_exit(0): the firmware stopped" in log


@requires_renode
@requires_arm_gcc
def test_broken_repl_is_renodes_own_error_in_one_line(tmp_path: Path) -> None:
    for model in [RESC, *RESC.parent.glob("*.cs")]:  # the .resc compiles the SAI1/DMA2 models beside it
        shutil.copy(model, tmp_path / model.name)
    repl = (RESC.parent / "stm32f767.repl").read_text()
    assert "    IRQ -> nvic@39\n" in repl
    (tmp_path / "stm32f767.repl").write_text(repl.replace("    IRQ -> nvic@39\n", "    -> nvic@39\n"))
    with RenodeSession() as session, pytest.raises(M7Error) as info:
        session.start(_firmware("selftest"), resc=tmp_path / RESC.name)
        session.wait_exit(SELFTEST_SECONDS)
    message = str(info.value)
    assert message.startswith(f"renode: 'machine LoadPlatformDescription @{tmp_path}/stm32f767.repl' failed: "
                              "Error E15: Ambiguous choice of default interrupt.")
    assert "[IRQ, ReceiveDmaRequest]" in message and "\n" not in message


@requires_renode
@requires_arm_gcc
def test_firmware_fault_is_its_dump_and_a_hang_is_a_time_limit() -> None:
    with RenodeSession() as session:
        session.start(_firmware("faulttest"))
        session.wait_uart("M7AMP FAULTTEST READY", SELFTEST_SECONDS)
        with pytest.raises(M7Error, match=r"renode did not see the firmware stop \(m7_exit\) within 1 s; "
                                          r"Renode's log ends: .+"):
            session.wait_exit(1)  # waiting for a character: a hang as far as the run is concerned
        session.command("sysbus.usart3 WriteChar 0x69")  # 'i': udf #0
        with pytest.raises(M7Error) as info:
            session.wait_exit(SELFTEST_SECONDS)
        assert session.exit_status == 3
    assert str(info.value).startswith("firmware fault in Renode: M7AMP FAULT UsageFault; CFSR  0x00010000 "
                                      "UNDEFINSTR;")


@requires_renode
@requires_arm_gcc
@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_hostlink_plays_the_same_bits_as_the_simulator(precision: str) -> None:
    from m7amp.targets import build_firmware
    from m7amp.targets._hostlink_target import SimHostLinkTarget

    elf = build_firmware("hostlink", precision=precision)
    signal = (0.4 * np.sin(np.arange(256) * 0.05)).astype(np.float32)
    with RenodeTarget(block_size=64) as renode:
        renode.load(elf)
        got = renode.play(signal, 48000)
    with SimHostLinkTarget(block_size=64) as sim:
        sim.load(elf)
        want = sim.play(signal, 48000)
    assert got.target == "renode" and len(got.block_cycles) == 4
    assert np.array_equal(got.output, want.output)  # same ELF, same FP semantics (both QEMU-derived cores)
    assert all(c > 0 for c in got.block_cycles)  # DWT in Renode: instructions (virtual time), not sim cycles


def test_cli_prints_usart3_and_exits_with_the_firmware_status(tmp_path: Path, capsys) -> None:
    from m7amp.cli import main

    # a stand-in that writes USART3 where CreateFileBackend is told to, then logs the exit hook's line
    exe = fake_renode(tmp_path, """for a in "$@"; do case "$a" in
  "sysbus.usart3 CreateFileBackend @"*) f=${a#*@}; f=${f% true}
    printf 'hello\\r\\nM7AMP SELFTEST FAIL\\r\\n' > "$f";;
esac; done
echo "(m7amp) 12:00:00.0000 [INFO] cpu: m7_exit(1): the firmware stopped"
""" + PROMPT)
    assert main(["renode", str(elf_stub(tmp_path)), "--renode", exe]) == 1
    out, err = capsys.readouterr()
    assert out == "hello\r\nM7AMP SELFTEST FAIL\r\n" and "m7amp renode: m7_exit(1) after" in err
    assert main(["renode", str(tmp_path / "none.elf"), "--renode", exe]) == 2
    assert capsys.readouterr().err == f"m7amp renode: error: {tmp_path / 'none.elf'}: no such firmware ELF\n"
