"""The board and Renode backends without hardware or Renode: port detection, command lines, error
messages when a tool is missing, and play() end to end against stand-ins (the host-built protocol
server on a pty; the simulator's USART3; a fake `renode` executable that serves the pty the way
Renode's CreateUartPtyTerminal does)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from m7amp.errors import M7Error
from m7amp.hostlink import FdStream
from m7amp.playback import PlayResult
from m7amp.targets import board as board_mod
from m7amp.targets.base import Target
from m7amp.targets.board import BoardTarget, find_stlink_port, flash_command, reset_command
from m7amp.targets.renode import RenodeTarget, find_renode, renode_command
from tests._skips import REPO, requires_arm_gcc, requires_host_cc
from tests.hostlink.conftest import HOST_TIMEOUT_MS, MODEL, PACKAGE

SIGNAL = (0.3 * np.sin(np.arange(200) * 0.07)).astype(np.float32)


def port(device: str, vid: int | None, pid: int | None, serial: str = "066DFF") -> SimpleNamespace:
    return SimpleNamespace(device=device, vid=vid, pid=pid, serial_number=serial)


# ---- the Target interface ------------------------------------------------------------------------------

def test_backends_implement_the_target_interface() -> None:
    for cls, name in ((BoardTarget, "board"), (RenodeTarget, "renode")):
        assert issubclass(cls, Target) and cls.name == name and cls.app == "hostlink"
        cls()  # keyword options only, all with defaults; constructing touches no hardware or binary
    # Options given as text (pytest --target-option KEY=VALUE) are converted.
    board = BoardTarget(block_size="128", timeout="2.5", baud="2000000")
    assert (board.block_size, board.timeout, board.baud) == (128, 2.5, 2_000_000)
    assert RenodeTarget(startup_timeout="5").startup_timeout == 5.0


# ---- board: port detection and probe commands ---------------------------------------------------------

def test_stlink_port_is_found_by_usb_id() -> None:
    ports = [port("/dev/ttyS0", None, None), port("/dev/ttyUSB0", 0x0403, 0x6001),
             port("/dev/ttyACM0", 0x0483, 0x374B)]
    assert find_stlink_port(ports) == "/dev/ttyACM0"


def test_stlink_port_errors_name_the_fix() -> None:
    with pytest.raises(M7Error, match=r"no ST-LINK virtual COM port found: connect .* port='/dev/ttyACM0'"):
        find_stlink_port([port("/dev/ttyUSB0", 0x0403, 0x6001)])
    two = [port("/dev/ttyACM0", 0x0483, 0x374B, "AAA"), port("/dev/ttyACM1", 0x0483, 0x374E, "BBB")]
    with pytest.raises(M7Error, match=r"several ST-LINK ports found \(/dev/ttyACM0 \(AAA\), /dev/ttyACM1"):
        find_stlink_port(two)
    assert find_stlink_port(two, probe_id="bbb") == "/dev/ttyACM1"
    with pytest.raises(M7Error, match="with serial number CCC"):
        find_stlink_port(two, probe_id="CCC")


def test_missing_pyocd_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(board_mod.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(board_mod.shutil, "which", lambda name: None)
    with pytest.raises(M7Error, match=r"^pyOCD is not installed: run `pip install pyocd`"):
        flash_command("pyocd", Path("fw.elf"))
    with pytest.raises(M7Error, match="openocd is not on PATH"):
        flash_command("openocd", Path("fw.elf"))


def test_probe_command_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(board_mod.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(board_mod.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert flash_command("pyocd", Path("fw.elf"), "066D") == [
        "pyocd", "flash", "-t", "stm32f767zi", "-u", "066D", "fw.elf"]
    assert reset_command("pyocd") == ["pyocd", "reset", "-t", "stm32f767zi"]
    assert flash_command("openocd", Path("fw.elf")) == [
        "openocd", "-f", "board/st_nucleo_f7.cfg", "-c", "program {fw.elf} verify reset exit"]
    assert reset_command("openocd", "066D") == [
        "openocd", "-f", "board/st_nucleo_f7.cfg", "-c", "adapter serial 066D", "-c", "init", "-c",
        "reset run", "-c", "shutdown"]
    monkeypatch.setattr(board_mod.importlib.util, "find_spec", lambda name: object())
    assert flash_command("pyocd", Path("fw.elf"))[:3] == [sys.executable, "-m", "pyocd"]
    with pytest.raises(M7Error, match="unknown probe 'jlink'"):
        BoardTarget(probe="jlink")


def test_board_load_and_play_need_a_firmware(tmp_path: Path) -> None:
    target = BoardTarget()
    with pytest.raises(M7Error, match="no such firmware ELF"):
        target.load(tmp_path / "missing.elf")
    with pytest.raises(M7Error, match="load\\(\\) a firmware ELF first"):
        target.play(SIGNAL, 48000)


def test_failed_flash_reports_the_tool_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tool = tmp_path / "pyocd"
    tool.write_text("#!/bin/sh\necho 'No connected debug probes' >&2\nexit 1\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(board_mod.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(M7Error, match=r"flashing fw\.elf with pyocd failed .*No connected debug probes"):
        BoardTarget().load(elf)


# ---- play() over the protocol, with stand-ins for the board ---------------------------------------------

class PtyBoard(BoardTarget):
    """A BoardTarget whose 'serial port' is the host-built protocol server on a pty."""

    def __init__(self, server, **kw):
        super().__init__(**kw)
        self.server = server
        self.elf = Path("host_server")

    def _open(self):
        return self.server.stream


@requires_host_cc
def test_play_returns_aligned_output_and_block_cycles(pty_server) -> None:
    server = pty_server("f32")
    target = PtyBoard(server, block_size=64)
    calls: list[tuple[int, int]] = []
    result = target.play(SIGNAL, 48000, progress=lambda done, total: calls.append((done, total)))
    assert isinstance(result, PlayResult) and result.target == "board"
    assert result.output.dtype == np.float32 and result.output.shape == SIGNAL.shape
    assert result.block_size == 64 and len(result.block_cycles) == 4  # 64+64+64+8
    assert calls == [(64, 200), (128, 200), (192, 200), (200, 200)]
    assert result.extra["model"] == MODEL and result.latency_samples == 0
    assert "host_server ready" in result.uart
    # The same samples again: play() resets the engine first, so the output repeats exactly.
    again = target.play(SIGNAL, 48000)
    assert np.array_equal(result.output, again.output)
    with pytest.raises(M7Error, match=r"outside 1\.\.256"):
        PtyBoard(server, block_size=512).play(SIGNAL, 48000)


@requires_arm_gcc
def test_play_through_the_firmware_in_the_simulator_counts_cycles_and_misses() -> None:
    from m7amp.firmware import build_engine_app
    from m7amp.targets._hostlink_target import SimHostLinkTarget

    target = SimHostLinkTarget(block_size=100)
    target.load(build_engine_app("hostlink", PACKAGE / "c", MODEL, "f32"))
    result = target.play(SIGNAL, 48000)
    assert len(result.block_cycles) == 2 and all(c > 0 for c in result.block_cycles)
    # a block is a would-be miss when its engine cycles exceed its real-time budget (100 x 4500 at 48 kHz)
    assert result.deadline_misses == sum(c > 100 * 4500 for c in result.block_cycles)
    assert result.cpu_load == pytest.approx(result.cycles_per_sample / 4500)


# ---- Renode --------------------------------------------------------------------------------------------

def test_missing_renode_says_where_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("RENODE", raising=False)
    with pytest.raises(M7Error, match=r"Renode is not available \(no `renode` on PATH and RENODE is not "
                                      r"set\): install Renode >= 1\.16\.1"):
        find_renode()
    with pytest.raises(M7Error, match="'/opt/renode/renode' was not found"):
        find_renode("/opt/renode/renode")
    monkeypatch.setenv("RENODE", "/opt/renode/renode")
    with pytest.raises(M7Error, match="RENODE='/opt/renode/renode' was not found"):
        find_renode()
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(M7Error, match="Renode is not available"):
        RenodeTarget().load(elf)


def test_renode_command_line(tmp_path: Path) -> None:
    cmd = renode_command("/opt/renode/renode", tmp_path / "fw.elf", uart="pty", folder=tmp_path)
    assert cmd[:4] == ["/opt/renode/renode", "--disable-xwt", "--console", "--plain"]
    assert cmd[4::2] == ["-e"] * 5
    assert cmd[5::2] == [f"set bin @{tmp_path / 'fw.elf'}", f"include @{REPO / 'renode' / 'm7amp.resc'}",
                         f'emulation CreateUartPtyTerminal "usart3_term" "{tmp_path / "usart3"}" true',
                         "connector Connect sysbus.usart3 usart3_term", "start"]
    assert not any(a in ("-P", "--port") or "robot-server-port" in a for a in cmd)  # no open port
    cmd = renode_command("renode", tmp_path / "fw.elf", uart="file", folder=tmp_path, commands=["x y"])
    assert cmd[9::2] == [f"sysbus.usart3 CreateFileBackend @{tmp_path / 'usart3.txt'} true", "x y", "start"]


def test_resc_loads_the_repl_and_hooks_the_exit() -> None:
    lines = [ln.strip() for ln in (REPO / "renode" / "m7amp.resc").read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    assert "machine LoadPlatformDescription $ORIGIN/stm32f767.repl" in lines
    assert "sysbus LoadELF $bin" in lines
    assert 'cpu AddHook `sysbus GetSymbolAddress "m7_exit"` """' in lines


FAKE_RENODE = """#!{python}
# Stands in for Renode: answers --version, checks the private TMPDIR, serves the host-built protocol
# server on a pty linked where CreateUartPtyTerminal is told to, and quits on "quit" from its console.
import os, subprocess, sys, tty
args = sys.argv[1:]
if args == ["--version"]:
    print("Renode v1.16.1.4038")
    sys.exit(0)
assert args[:3] == ["--disable-xwt", "--console", "--plain"], args
cmds = args[4::2]
pty_path = next(c for c in cmds if c.startswith("emulation CreateUartPtyTerminal ")).split('"')[3]
tmpdir = os.environ["TMPDIR"]
assert os.path.isdir(tmpdir) and "m7amp-renode-" in tmpdir, tmpdir
master, slave = os.openpty()
tty.setraw(slave)
server = subprocess.Popen(["{server}", "{timeout}"], stdin=master, stdout=master)
os.symlink(os.ttyname(slave), pty_path)
print("fake renode: started", flush=True)
for line in sys.stdin:
    if line.strip() == "quit":
        break
server.kill()
server.wait()
print("fake renode: quit", flush=True)
"""


@requires_host_cc
def test_renode_target_lifecycle_with_a_fake_renode(host_server, tmp_path: Path) -> None:
    fake = tmp_path / "renode"
    fake.write_text(FAKE_RENODE.format(python=sys.executable, server=host_server("f32"),
                                       timeout=HOST_TIMEOUT_MS))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    with RenodeTarget(renode=str(fake), block_size=50, timeout=10.0, startup_timeout=20.0) as target:
        target.load(elf)
        private = Path(target.pty).parent
        result = target.play(SIGNAL, 48000)
        assert result.target == "renode" and len(result.block_cycles) == 4
        first = result.output
        proc = target.session.proc
        target.reset()  # a new process, a new private folder, the same output from zero state
        assert Path(target.pty).parent != private and not private.exists()
        assert proc is not None and proc.returncode == 0  # quit through the console, not killed
        assert np.array_equal(target.play(SIGNAL, 48000).output, first)
    assert not private.exists()


def test_renode_target_reports_an_early_exit(tmp_path: Path) -> None:
    fake = tmp_path / "renode"
    fake.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Renode v1.16.1.1" && exit 0\n'
                    "echo 'cannot start: no mono'\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(M7Error, match=r"renode exited with status 1 before the firmware stopped: cannot"):
        RenodeTarget(renode=str(fake)).load(elf)


def test_fdstream_reads_what_is_there(tmp_path: Path) -> None:
    r, w = os.pipe()
    stream = FdStream(r, poll=0.01)
    assert stream.read(4) == b""
    os.write(w, b"abc")
    assert stream.read(8) == b"abc"
    os.close(r)
    os.close(w)

