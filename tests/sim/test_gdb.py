"""The GDB server (m7amp/sim/gdb.py) and the Simulator's debugger API, against tests/sim/fixtures/debug.c.

gdb-multiarch --batch drives a real session; a raw socket client sends what gdb never would (bad
checksums, garbage, overlong and unknown packets, Ctrl-C while running)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from unicorn import Uc

from m7amp.sim import Simulator
from m7amp.sim.gdb import MAX_PACKET, GdbSession, listen, serve_gdb
from tests._skips import REPO, requires_arm_gcc, requires_gdb, requires_host_cc

pytestmark = [requires_arm_gcc, requires_host_cc]
MAX = 10_000_000


@pytest.fixture(scope="module")
def debug_elf(fixture_elf: Callable[..., Path]) -> Path:
    return fixture_elf("debug")


@pytest.fixture(scope="module")
def plain_run(debug_elf: Path) -> tuple[int, int]:
    result = Simulator(debug_elf).run(max_cycles=MAX)
    assert (result.stop_reason, result.status, result.uart) == ("exit", 55, "debug ok\r\n")
    return result.cycles, result.instructions


class Served:
    """A simulator served on a free port by a background thread."""

    def __init__(self, elf: Path, **kwargs: object):
        self.sim = Simulator(elf)
        server = listen(0)
        self.port = server.getsockname()[1]
        self.session: GdbSession | None = None

        def serve() -> None:
            self.session = serve_gdb(self.sim, 0, server=server, **kwargs)  # type: ignore[arg-type]

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    def join(self) -> GdbSession:
        self.thread.join(timeout=60)
        assert not self.thread.is_alive() and self.session is not None
        return self.session


def gdb_batch(elf: Path, port: int, *commands: str) -> str:
    args = ["gdb-multiarch", "--batch", "-nx", str(elf), "-ex", "set confirm off", "-ex",
            f"target remote :{port}"]
    for command in commands:
        args += ["-ex", command]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


# the Simulator's debugger API ---------------------------------------------------------------------------
def test_single_steps_add_up_to_the_plain_run(debug_elf: Path, plain_run: tuple[int, int]) -> None:
    sim = Simulator(debug_elf)
    handler = sim.symbol("IRQ0_Handler")
    its = handler_entries = 0
    while True:
        pc, before = sim.resume_pc, sim.instructions
        result = sim.step()
        if result.stop_reason != "step":
            break
        halfword = int.from_bytes(sim.read_memory(pc, 2), "little")
        is_it = halfword & 0xFF00 == 0xBF00 and halfword & 0xF != 0
        its += is_it
        handler_entries += sim.resume_pc == handler  # a step takes the pending IRQ as the run loop does
        assert result.instructions - before == (2 if is_it else 1)  # QEMU steps IT with its first insn
    assert (result.stop_reason, result.status) == ("exit", 55)
    assert (result.cycles, result.instructions) == plain_run
    assert its == 1 and handler_entries == 3


def test_breakpoint_hits_each_call_and_keeps_totals(debug_elf: Path, plain_run: tuple[int, int]) -> None:
    sim = Simulator(debug_elf)
    tick = sim.symbol("tick")
    sim.add_breakpoint(tick)
    args = []
    while (result := sim.run(max_cycles=MAX)).stop_reason == "breakpoint":
        assert sim.resume_pc == tick and sim.debug_stop == ("breakpoint", tick)
        args.append(sim.uc.reg_read(66))  # r0: tick's argument
        sim.step()
    assert args == [1, 2, 3, 4, 5]
    assert (result.stop_reason, result.cycles, result.instructions) == ("exit", *plain_run)
    assert sim.remove_breakpoint(tick) and not sim.remove_breakpoint(tick)


def test_watchpoint_stops_at_each_write(debug_elf: Path, plain_run: tuple[int, int]) -> None:
    sim = Simulator(debug_elf)
    counter = sim.symbol("counter")
    sim.add_watchpoint(counter, 4, "watch")
    values = []
    while (result := sim.run(max_cycles=MAX)).stop_reason == "watchpoint":
        assert sim.debug_stop == ("watch", counter)
        assert sim.firmware.function_at(sim.resume_pc) in ("Reset_Handler", "tick")
        stored = sim.read_memory(counter, 4)  # unicorn: the store is done, PC still on it
        sim.step()
        assert sim.read_memory(counter, 4) == stored
        values.append(int.from_bytes(stored, "little"))
    assert values == [0, 1, 5, 14, 30, 55]  # .bss clearing, then counter += i*i
    assert (result.cycles, result.instructions) == plain_run


# gdb-multiarch sessions -------------------------------------------------------------------------------
@requires_gdb
def test_gdb_session(debug_elf: Path, plain_run: tuple[int, int]) -> None:
    served = Served(debug_elf)
    out = gdb_batch(debug_elf, served.port,
                    "break tick", "continue", "print counter", "continue", "print counter",
                    "print gain", "delete", "watch irq_count", "continue", "delete",
                    "hbreak scale", "continue", "print $s0", "print $pc == scale", "stepi",
                    "print $pc == scale + 2", "delete", "monitor cycles", "monitor audio", "continue")
    assert "Breakpoint 1, tick (i=i@entry=1)" in out and "Breakpoint 1, tick (i=i@entry=2)" in out
    assert re.search(r"\$1 = 0\n", out) and re.search(r"\$2 = 1\n", out) and "$3 = 1.5" in out
    assert re.search(r"Old value = 0\nNew value = 1\n", out)  # irq_count, written by the handler
    assert "IRQ0_Handler" in out
    assert "Hardware assisted breakpoint 3" in out and "Breakpoint 3, scale (x=x@entry=2)" in out  # Z1
    assert "$4 = 2\n" in out  # s0: the float argument
    assert "$5 = 1\n" in out and "$6 = 1\n" in out  # at scale, then one 16-bit instruction further
    assert re.search(r"core cycles \d+, instructions \d+", out) and "no audio" in out
    assert "exited with code 067" in out  # 55
    session = served.join()
    assert session.exit_status == 55
    # breakpoints, a step and a watchpoint left the modelled totals untouched
    assert (served.sim.cycles, served.sim.instructions) == plain_run


@requires_gdb
def test_gdb_that_only_continues_changes_no_cycle_count(debug_elf: Path, plain_run: tuple[int, int]) -> None:
    served = Served(debug_elf)
    out = gdb_batch(debug_elf, served.port, "continue")
    assert "exited with code 067" in out
    served.join()
    assert (served.sim.cycles, served.sim.instructions) == plain_run


@requires_gdb
def test_monitor_reset_and_registered_commands(debug_elf: Path) -> None:
    served = Served(debug_elf, monitor={"hello": lambda args: f"hello {args}"},
                    audio_position=lambda: "frame 42")
    out = gdb_batch(debug_elf, served.port, "break main", "continue", "monitor reset",
                    "maintenance flush register-cache", "print $pc",
                    "monitor hello world", "monitor audio", "monitor nope", "kill")
    reset = served.sim.symbol("Reset_Handler")
    assert f"(void (*)()) 0x{reset:x} <Reset_Handler>" in out
    assert "hello world" in out and "frame 42" in out and "unknown monitor command 'nope'" in out
    assert served.join().killed


@requires_gdb
def test_cli_gdb_exit_status(debug_elf: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "m7amp", "sim", str(debug_elf), "--gdb", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))  # type: ignore[union-attr]
        out = gdb_batch(debug_elf, port, "continue")
        assert "exited with code 067" in out
        assert proc.wait(timeout=60) == 55
        assert proc.stdout is not None and proc.stdout.read().strip() == "debug ok"
    finally:
        proc.kill()


# a raw RSP client ------------------------------------------------------------------------------------------
def _packet(body: bytes) -> bytes:
    return b"$" + body + b"#" + f"{sum(body) & 0xFF:02x}".encode()


class Client:
    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # acks are tiny writes
        self.buf = b""

    def raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_until(self, pattern: bytes) -> bytes:
        while not re.search(pattern, self.buf, re.S):
            chunk = self.sock.recv(65536)
            assert chunk, "server closed the connection"
            self.buf += chunk
        match = re.search(pattern, self.buf, re.S)
        assert match is not None
        self.buf = self.buf[match.end():]
        return match.group(0)

    def reply(self) -> bytes:
        """The next packet body (its ack is sent back)."""
        got = self.read_until(rb"\$([^#]*)#[0-9a-f]{2}")
        self.raw(b"+")
        return re.match(rb"\$([^#]*)#", got).group(1)  # type: ignore[union-attr]

    def ask(self, body: bytes) -> bytes:
        self.raw(_packet(body))
        assert self.read_until(rb"[+-]") == b"+"
        return self.reply()


@pytest.fixture
def client(debug_elf: Path) -> Iterator[tuple[Client, Served]]:
    served = Served(debug_elf)
    c = Client(served.port)
    yield c, served
    c.sock.close()


def test_malformed_packets_get_protocol_replies(client: tuple[Client, Served]) -> None:
    c, served = client
    assert c.ask(b"?").startswith(b"S05")
    c.raw(b"$g#00")  # bad checksum
    assert c.read_until(rb"[+-]") == b"-"
    c.raw(b"\x01garbage!!+-")  # junk between packets is skipped
    assert c.ask(b"qAttached") == b"1"
    c.raw(_packet(b"m" + b"0" * (MAX_PACKET + 100)))  # longer than the PacketSize we announced
    assert c.read_until(rb"[+-]") == b"-"
    assert c.ask(b"Jnot-a-packet") == b""  # unknown: empty reply
    assert c.ask(b"vMustReplyEmpty") == b""
    assert c.ask(b"mzz,4") == b"E01"  # malformed arguments
    assert c.ask(b"m60000000,4") == b"E01"  # unmapped memory
    assert c.ask(b"p99") == b"E01"
    assert c.ask(b"Z9,0,0") == b""  # unsupported breakpoint type
    assert c.ask(b"X20020000,0:") == b"OK"
    counter = served.sim.symbol("counter")
    assert c.ask(f"M{counter:x},4:2a000000".encode()) == b"OK"
    assert c.ask(f"m{counter:x},4".encode()) == b"2a000000"
    assert c.ask(f"X{counter:x},2:".encode() + bytes([0x7D, 0x5D, 0x07])) == b"OK"  # escaped '}'
    assert c.ask(f"m{counter:x},2".encode()) == b"7d07"
    assert c.ask(b"qfThreadInfo") == b"m1" and c.ask(b"qsThreadInfo") == b"l"
    features = c.ask(b"qXfer:features:read:target.xml:0,4000")
    assert features.startswith(b"l<?xml") and b"org.gnu.gdb.arm.m-profile" in features
    assert len(c.ask(b"g")) == 2 * (17 * 4 + 16 * 8 + 7 * 4)
    assert c.ask(b"?").startswith(b"S05")  # still answering
    c.raw(_packet(b"k"))
    assert served.join().killed


def test_ctrl_c_interrupts_a_running_target(fixture_elf: Callable[..., Path]) -> None:
    elf = fixture_elf("debug", SPIN=1)
    served = Served(elf)
    c = Client(served.port)
    c.raw(_packet(b"vCont;c"))
    assert c.read_until(rb"[+-]") == b"+"
    time.sleep(0.5)
    c.raw(b"\x03")
    assert c.reply().startswith(b"T02")
    cycles = served.sim.cycles
    time.sleep(0.2)
    assert served.sim.cycles == cycles  # virtual time stands still while halted
    pc = int.from_bytes(bytes.fromhex(c.ask(b"pf").decode()), "little")
    assert served.sim.firmware.function_at(pc) == "main"
    assert c.ask(b"s").startswith(b"T05")
    assert c.ask(b"D") == b"OK"
    assert served.join().detached
    c.sock.close()


@requires_gdb
def test_gdb_on_the_selftest_firmware() -> None:
    from m7amp import firmware

    elf = firmware.build("selftest")
    plain = Simulator(elf).run(max_cycles=2_000_000_000)
    served = Served(elf)
    out = gdb_batch(elf, served.port, "break test_fpu", "continue", "bt", "finish", "print $fpscr",
                    "continue")
    assert "Breakpoint 1, " in out and "test_fpu ()" in out and "main ()" in out
    assert "exited normally" in out
    served.join()
    assert (served.sim.cycles, served.sim.instructions) == (plain.cycles, plain.instructions)
    assert "M7AMP SELFTEST PASS" in served.sim.uart_text and served.sim.uart_text == plain.uart


def test_debug_reads_of_peripherals(debug_elf: Path) -> None:
    from m7amp.sim.gdb import GdbServer

    sim = Simulator(debug_elf)
    gdb = GdbServer(sim)
    word = lambda address: int.from_bytes(gdb.read_memory(address, 4), "little")  # noqa: E731
    gdb.write_memory(0xE000E014, (99).to_bytes(4, "little"))  # SysTick RVR, through the model
    gdb.write_memory(0xE000E010, (5).to_bytes(4, "little"))  # CSR: ENABLE | CLKSOURCE
    sim.run(max_cycles=300)
    assert word(0xE000E010) & (1 << 16) and word(0xE000E010) & (1 << 16)  # COUNTFLAG stays set
    systick = sim.bus.lookup(0xE000E010)
    assert systick is not None and systick[0].read(0x010) & (1 << 16)  # a firmware read clears it...
    assert not word(0xE000E010) & (1 << 16)  # ...as the next debug read shows
    assert gdb.read_memory(0xE000E010, 1) == b"\x05" and gdb.read_memory(0xE000E015, 1) == b"\x00"  # lanes
    sim.uart_input(b"x")
    sim.run(max_cycles=50_000)
    assert word(0x4000481C) & (1 << 5)  # USART3 ISR.RXNE
    assert word(0x40004824) == ord("x")  # RDR: a debug read pops the byte, as on the chip...
    assert not word(0x4000481C) & (1 << 5)  # ...and clears RXNE
    assert gdb.read_memory(0x40002824, 4) == bytes(4)  # RTC WPR: an unmodelled peripheral (tag) reads 0
    assert not [w for w in sim.warnings if "unmodelled" in w]


def test_ctrl_c_halts_a_sleeping_target(fixture_elf: Callable[..., Path]) -> None:
    served = Served(fixture_elf("debug", SPIN=2))
    c = Client(served.port)
    c.raw(_packet(b"c"))
    assert c.read_until(rb"[+-]") == b"+"
    console = c.reply()  # an 'O' packet: the firmware sleeps with nothing to wake it
    assert console.startswith(b"O") and b"WFI" in bytes.fromhex(console[1:].decode())
    c.raw(b"\x03")
    assert c.reply().startswith(b"T02")
    c.raw(_packet(b"k"))
    assert served.join().killed
    c.sock.close()


def test_random_packets_never_end_the_session(client: tuple[Client, Served]) -> None:
    import random

    c, served = client
    rng = random.Random(8)
    kinds = ["g", "G", "p", "P", "m", "M", "X", "Z", "z", "q", "Q", "H", "T", "?", "v", "qRcmd,",
             "qXfer:features:read:target.xml:", "qSupported:", "J", "#", "}"]
    alphabet = "0123456789abcdefABCDEF,:;=-xyz}\x00\xff "
    for _ in range(400):
        body = rng.choice(kinds) + "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        data = body.encode("latin-1").replace(b"#", b"").replace(b"$", b"")
        c.raw(_packet(data))
        assert c.read_until(rb"[+-]") == b"+"
        while re.fullmatch(rb"O([0-9a-f]{2})+", reply := c.reply()) and reply != b"OK":
            pass  # console output (monitor commands) before the reply
    assert c.ask(b"qAttached") == b"1"  # still serving
    assert served.thread.is_alive()


# the unicorn behaviours the debugger is built on (m7amp/sim/ARCHITECTURE.md) -------------------------------
def _cpu(tmp_path: Path, source: str) -> Uc:
    from tests.sim.conftest import assemble
    from tests.sim.test_unicorn_quirks import make_cpu

    code, _ = assemble(source, tmp_path, "quirk")
    return make_cpu(code)


def test_unicorn_memory_hook_stop_leaves_pc_on_the_access(tmp_path: Path) -> None:
    from unicorn import UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE
    from unicorn import arm_const as arm

    uc = _cpu(tmp_path, "ldr r0, [r0]\n str r1, [r2], #4\n b .")
    uc.mem_write(0x2000_0000, (0x2000_0100).to_bytes(4, "little"))
    uc.reg_write(arm.UC_ARM_REG_R0, 0x2000_0000)
    uc.reg_write(arm.UC_ARM_REG_R1, 0x55)
    uc.reg_write(arm.UC_ARM_REG_R2, 0x2000_0200)
    hook = uc.hook_add(UC_HOOK_MEM_READ, lambda uc, *_: uc.emu_stop(), None, 0x2000_0000, 0x2000_0003)
    uc.emu_start(0x0800_0001, 0x0800_0100)
    # the load has not happened: running it again is correct
    assert uc.reg_read(arm.UC_ARM_REG_PC) == 0x0800_0000 and uc.reg_read(arm.UC_ARM_REG_R0) == 0x2000_0000
    uc.hook_del(hook)
    uc.hook_add(UC_HOOK_MEM_WRITE, lambda uc, *_: uc.emu_stop(), None, 0x2000_0200, 0x2000_0203)
    uc.emu_start(0x0800_0003, 0x0800_0100)
    # the store is in memory, its base writeback is not: running it again stores the same value once more
    assert uc.reg_read(arm.UC_ARM_REG_PC) == 0x0800_0002 and uc.reg_read(arm.UC_ARM_REG_R2) == 0x2000_0200
    assert uc.mem_read(0x2000_0200, 4) == b"\x55\0\0\0"


def test_unicorn_count_hook_needs_a_flush(tmp_path: Path) -> None:
    from unicorn import arm_const as arm

    uc = _cpu(tmp_path, "loop: adds r3, #1\n b loop")
    uc.emu_start(0x0800_0001, 0x0800_0100, timeout=20_000)  # translated without the count hook
    uc.reg_write(arm.UC_ARM_REG_R3, 0)
    uc.emu_start(0x0800_0001, 0x0800_0100, timeout=20_000, count=1)
    assert uc.reg_read(arm.UC_ARM_REG_R3) > 1  # count ignored: the cached block never calls the hook
    uc.ctl_flush_tb()  # what Simulator.step() does when coming from a normal run
    uc.reg_write(arm.UC_ARM_REG_R3, 0)
    uc.emu_start(0x0800_0001, 0x0800_0100, timeout=20_000, count=1)
    assert uc.reg_read(arm.UC_ARM_REG_R3) == 1
