"""A GDB remote serial protocol server for the simulated STM32F767 (docs/debugging.md).

``serve_gdb(sim, port)`` listens on 127.0.0.1, serves one gdb (``target remote :PORT``) and returns
when it detaches, kills or disconnects. The target description is a Cortex-M with FPv5-D16
(org.gnu.gdb.arm.m-profile + org.gnu.gdb.arm.vfp, d0-d15 and fpscr; gdb derives s0-s31) plus msp, psp,
primask, basepri, faultmask and control. Virtual time stands still while the target is halted:
``continue`` runs the simulator in slices of CHUNK_CYCLES and polls the socket for Ctrl-C between
them, which changes no cycle count (slices end at block boundaries, as event stops do).
"""

from __future__ import annotations

import ctypes
import re
import select
import socket
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from unicorn import UcError
from unicorn import arm_const as arm

from m7amp.errors import M7Error
from m7amp.sim._simulator import RunResult, Simulator
from m7amp.sim.periph import Peripheral

CHUNK_CYCLES = 200_000  # between Ctrl-C polls while running (~2-20 ms of host time)
MAX_PACKET = 0x4000  # PacketSize we announce; longer packets are answered with an error
SIGINT, SIGTRAP, SIGSEGV = 2, 5, 11

_CORE = [(f"r{i}", arm.UC_ARM_REG_R0 + i) for i in range(13)] + [
    ("sp", arm.UC_ARM_REG_SP), ("lr", arm.UC_ARM_REG_LR), ("pc", arm.UC_ARM_REG_PC),
    ("xpsr", arm.UC_ARM_REG_XPSR)]
_FP = [(f"d{i}", arm.UC_ARM_REG_D0 + i) for i in range(16)] + [("fpscr", arm.UC_ARM_REG_FPSCR)]
_SYSTEM = [("msp", arm.UC_ARM_REG_MSP), ("psp", arm.UC_ARM_REG_PSP), ("primask", arm.UC_ARM_REG_PRIMASK),
           ("basepri", arm.UC_ARM_REG_BASEPRI), ("faultmask", arm.UC_ARM_REG_FAULTMASK),
           ("control", arm.UC_ARM_REG_CONTROL)]
# (name, unicorn id, bytes) in gdb register number order: the order of the target description below
REGISTERS: list[tuple[str, int, int]] = ([(n, r, 4) for n, r in _CORE] + [(n, r, 8) for n, r in _FP[:16]]
                                         + [(n, r, 4) for n, r in _FP[16:] + _SYSTEM])
PC_REGNUM = 15


def _target_xml() -> str:
    def regs(items: list[tuple[str, int, int]], extra: Callable[[str], str]) -> str:
        return "".join(f'<reg name="{n}" bitsize="{8 * size}"{extra(n)}/>' for n, _, size in items)

    core_types = {"sp": ' type="data_ptr"', "pc": ' type="code_ptr"'}
    return ('<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0">'
            "<architecture>arm</architecture>"
            '<feature name="org.gnu.gdb.arm.m-profile">'
            + regs(REGISTERS[:17], lambda n: core_types.get(n, ' type="int"')) + "</feature>"
            '<feature name="org.gnu.gdb.arm.vfp">'
            + regs(REGISTERS[17:33], lambda n: ' type="ieee_double"')
            + regs(REGISTERS[33:34], lambda n: ' type="int" group="float"') + "</feature>"
            '<feature name="org.gnu.gdb.arm.m-system">'
            + regs(REGISTERS[34:36], lambda n: ' type="data_ptr" group="system"') + "</feature>"
            '<feature name="org.m7amp.sysregs">'
            + regs(REGISTERS[36:], lambda n: ' type="int" group="system"') + "</feature></target>")


TARGET_XML = _target_xml()


class _DisconnectedError(Exception):
    """The gdb client closed the connection."""


@dataclass
class GdbSession:
    """What happened during one gdb session (returned by ``serve_gdb``)."""

    exit_status: int | None = None  # the firmware's, when it exited while attached
    detached: bool = False  # gdb detached (D): the caller may let the firmware run on
    killed: bool = False
    last_result: RunResult | None = None
    log: list[str] = field(default_factory=list)


class GdbServer:
    """One gdb connection driving a ``Simulator``. ``monitor`` adds ``monitor NAME ARGS`` commands:
    a function of the argument text returning the text to print."""

    def __init__(self, sim: Simulator, *, monitor: dict[str, Callable[[str], str]] | None = None,
                 audio_position: Callable[[], str] | None = None):
        self.sim = sim
        self.audio_position = audio_position
        self.monitor: dict[str, Callable[[str], str]] = {
            "reset": self._mon_reset, "cycles": self._mon_cycles, "audio": self._mon_audio,
            "help": self._mon_help}
        self.monitor.update(monitor or {})
        self.session = GdbSession()
        self._conn: socket.socket | None = None
        self._buf = bytearray()
        self._ack = True
        self._interrupt = False
        self._discarding = False
        self._stop_reply = f"S{SIGTRAP:02x}"

    # transport --------------------------------------------------------------------------------------
    def _recv(self, timeout: float | None = None) -> bool:
        """Read what the socket has into the buffer; False on timeout. Raises _DisconnectedError."""
        assert self._conn is not None
        if timeout is not None:
            ready, _, _ = select.select([self._conn], [], [], timeout)
            if not ready:
                return False
        try:
            data = self._conn.recv(65536)
        except OSError:
            data = b""
        if not data:
            raise _DisconnectedError
        self._buf += data
        return True

    def _send_raw(self, data: bytes) -> None:
        assert self._conn is not None
        try:
            self._conn.sendall(data)
        except OSError:
            raise _DisconnectedError from None

    def send(self, payload: str | bytes) -> None:
        body = payload.encode("latin-1") if isinstance(payload, str) else payload
        self._send_raw(b"$" + body + b"#" + f"{sum(body) & 0xFF:02x}".encode())
        # the '+' gdb answers is consumed with the next packet (stray acks are skipped there)

    def _next_packet(self) -> bytes | None:
        """The next well-formed packet body from the buffer (acked), or None if incomplete.
        Ctrl-C (0x03) sets the interrupt flag; checksum errors are answered '-'; junk is skipped."""
        buf = self._buf
        while buf:
            if self._discarding:  # inside an overlong packet: drop it up to its checksum, then NAK it
                end = buf.find(b"#")
                if end < 0:
                    del buf[:]
                if end < 0 or len(buf) < end + 3:
                    return None
                del buf[:end + 3]
                self._discarding = False
                if self._ack:
                    self._send_raw(b"-")
                continue
            lead = buf[0]
            if lead == 0x03:
                del buf[0]
                self._interrupt = True
                continue
            if lead != ord("$"):
                del buf[0]  # '+', '-' and junk between packets
                continue
            end = buf.find(b"#")
            if end < 0:
                if len(buf) > MAX_PACKET + 4:
                    self._discarding = True
                    del buf[:]
                return None
            if len(buf) < end + 3:
                return None
            body, check = bytes(buf[1:end]), bytes(buf[end + 1:end + 3])
            del buf[:end + 3]
            try:
                ok = int(check, 16) == sum(body) & 0xFF and len(body) <= MAX_PACKET
            except ValueError:
                ok = False
            if not ok:
                if self._ack:
                    self._send_raw(b"-")
                continue
            if self._ack:
                self._send_raw(b"+")
            return body
        return None

    def _read_packet(self) -> bytes:
        while True:
            packet = self._next_packet()
            if packet is not None:
                return packet
            if self._interrupt:
                self._interrupt = False
                self.send(self._stop_reply)  # Ctrl-C while halted: report the (unchanged) stop
                continue
            self._recv()

    def console(self, text: str) -> None:
        """Text for gdb's console (an 'O' packet; valid while the target runs or for qRcmd)."""
        self.send("O" + text.encode().hex())

    # serving ------------------------------------------------------------------------------------------
    def serve(self, conn: socket.socket) -> GdbSession:
        self._conn = conn
        try:
            while True:
                packet = self._read_packet()
                try:
                    reply = self.handle(packet)
                except (M7Error, UcError, OverflowError, ArithmeticError, TypeError, ctypes.ArgumentError,
                        UnicodeError) as exc:  # bad input must never end the session
                    self.session.log.append(f"{packet[:40]!r}: {exc!r}")
                    reply = "E01"
                if reply is not None:
                    self.send(reply)
                if self.session.killed or self.session.detached:
                    break
        except _DisconnectedError:
            pass
        finally:
            self._conn = None
        return self.session

    def handle(self, packet: bytes) -> str | None:
        """Reply to one packet (None: already answered). Unknown packets get the empty reply."""
        text = packet.decode("latin-1")
        kind, rest = text[:1], text[1:]
        handler = {"?": self._query_stop, "g": self._read_registers, "G": self._write_registers,
                   "p": self._read_register, "P": self._write_register, "m": self._read_mem,
                   "M": self._write_mem, "X": self._write_mem_binary, "Z": self._insert, "z": self._remove,
                   "c": self._continue, "C": self._continue_signal, "s": self._step, "S": self._step_signal,
                   "H": lambda _: "OK", "T": lambda _: "OK", "k": self._kill, "D": self._detach,
                   "q": self._query, "Q": self._set, "v": self._v}.get(kind)
        if handler is None:
            return ""
        try:
            return handler(rest)
        except (ValueError, IndexError, KeyError, struct.error):
            return "E01"  # malformed arguments

    # registers ----------------------------------------------------------------------------------------
    def _reg_bytes(self, index: int) -> bytes:
        _, reg, size = REGISTERS[index]
        value = self.sim.resume_pc if index == PC_REGNUM else self.sim.uc.reg_read(reg)
        return int(value).to_bytes(size, "little")

    def _set_reg(self, index: int, data: bytes) -> None:
        _, reg, size = REGISTERS[index]
        if len(data) != size:
            raise ValueError("register size")
        value = int.from_bytes(data, "little")
        if index == PC_REGNUM:
            self.sim.resume_pc = value
        else:
            self.sim.uc.reg_write(reg, value)

    def _read_registers(self, _: str) -> str:
        return "".join(self._reg_bytes(i).hex() for i in range(len(REGISTERS)))

    def _write_registers(self, rest: str) -> str:
        data = bytes.fromhex(rest)
        if len(data) != sum(size for _, _, size in REGISTERS):
            return "E01"
        offset = 0
        for i, (_, _, size) in enumerate(REGISTERS):
            self._set_reg(i, data[offset:offset + size])
            offset += size
        return "OK"

    def _read_register(self, rest: str) -> str:
        index = int(rest, 16)
        return self._reg_bytes(index).hex() if index < len(REGISTERS) else "E01"

    def _write_register(self, rest: str) -> str:
        number, value = rest.split("=", 1)
        index = int(number, 16)
        if index >= len(REGISTERS):
            return "E01"
        self._set_reg(index, bytes.fromhex(value))
        return "OK"

    # memory ---------------------------------------------------------------------------------------------
    def read_memory(self, address: int, length: int) -> bytes:
        """Debug read: RAM/flash directly, peripheral registers through the models' ``debug_read``."""
        out = bytearray()
        end = address + length
        while address < end:
            hit = self._peripheral_word(address)
            if hit is None:
                run = self._ram_run(address, end)
                out += self.sim.read_memory(address, run)
                address += run
                continue
            model, offset = hit
            word = (model.debug_read(offset) & 0xFFFFFFFF).to_bytes(4, "little")
            take = min(4 - address % 4, end - address)
            out += word[address % 4:address % 4 + take]
            address += take
        return bytes(out)

    def write_memory(self, address: int, data: bytes) -> None:
        """Debug write: RAM and flash directly (code changes flush the translation cache), peripheral
        registers through the models' ``write`` (with their side effects, as a debugger's write has)."""
        end = address + len(data)
        pos = address
        while pos < end:
            hit = self._peripheral_word(pos)
            if hit is None:
                run = self._ram_run(pos, end)
                self.sim.write_memory(pos, data[pos - address:pos - address + run])
                pos += run
                continue
            model, offset = hit
            take = min(4 - pos % 4, end - pos)
            shift = (pos % 4) * 8
            value = int.from_bytes(data[pos - address:pos - address + take], "little") << shift
            mask = ((1 << (8 * take)) - 1) << shift
            model.write(offset, value, mask)
            pos += take
        self.sim.uc.ctl_flush_tb()  # the write may have changed code

    def _peripheral_word(self, address: int) -> tuple[Peripheral, int] | None:
        bus = self.sim.bus
        if not bus.is_mmio(address):
            return None
        hit = bus.lookup(address & ~3)
        if hit is None:
            raise M7Error(f"no peripheral register at 0x{address:08x}")
        return hit

    def _ram_run(self, address: int, end: int) -> int:
        """Bytes from ``address`` (below ``end``) up to the next peripheral page."""
        page = self.sim.bus.page
        stop = min(end, address - address % page + page)
        return stop - address

    @staticmethod
    def _addr_len(text: str) -> tuple[int, int]:
        address, length = text.split(",", 1)
        return int(address, 16), int(length, 16)

    def _read_mem(self, rest: str) -> str:
        address, length = self._addr_len(rest)
        if length > MAX_PACKET // 2:
            return "E01"
        try:
            return self.read_memory(address, length).hex()
        except M7Error:
            return "E01"

    def _write_mem(self, rest: str) -> str:
        where, hexdata = rest.split(":", 1)
        address, length = self._addr_len(where)
        data = bytes.fromhex(hexdata)
        if len(data) != length:
            return "E01"
        try:
            self.write_memory(address, data)
        except M7Error:
            return "E01"
        return "OK"

    def _write_mem_binary(self, rest: str) -> str:
        where, raw = rest.split(":", 1)
        address, length = self._addr_len(where)
        data = re.sub(r"}(.)", lambda m: chr(ord(m.group(1)) ^ 0x20), raw, flags=re.S).encode("latin-1")
        if len(data) != length:
            return "E01"
        if length == 0:
            return "OK"  # gdb probes X support with an empty write
        try:
            self.write_memory(address, data)
        except M7Error:
            return "E01"
        return "OK"

    # breakpoints and watchpoints ------------------------------------------------------------------------
    _WATCH_KINDS: ClassVar[dict[str, str]] = {"2": "watch", "3": "rwatch", "4": "awatch"}

    def _insert(self, rest: str) -> str:
        kind, address, length = rest.split(";", 1)[0].split(",")
        addr, size = int(address, 16), int(length, 16)
        if kind in ("0", "1"):  # software and hardware breakpoints are both code hooks here
            self.sim.add_breakpoint(addr)
            return "OK"
        if kind in self._WATCH_KINDS:
            if size == 0:
                return "E01"
            self.sim.add_watchpoint(addr, size, self._WATCH_KINDS[kind])
            return "OK"
        return ""

    def _remove(self, rest: str) -> str:
        kind, address, length = rest.split(",")
        addr, size = int(address, 16), int(length, 16)
        if kind in ("0", "1"):
            self.sim.remove_breakpoint(addr)
            return "OK"
        if kind in self._WATCH_KINDS:
            self.sim.remove_watchpoint(addr, size, self._WATCH_KINDS[kind])
            return "OK"
        return ""

    # execution ------------------------------------------------------------------------------------------
    def _resume_at(self, rest: str) -> None:
        if rest:
            self.sim.resume_pc = int(rest, 16)

    def _continue(self, rest: str) -> None:
        self._resume_at(rest)
        self._run(step=False)

    def _continue_signal(self, rest: str) -> None:
        self._resume_at(rest.split(";", 1)[1] if ";" in rest else "")
        self._run(step=False)

    def _step(self, rest: str) -> None:
        self._resume_at(rest)
        self._run(step=True)

    def _step_signal(self, rest: str) -> None:
        self._resume_at(rest.split(";", 1)[1] if ";" in rest else "")
        self._run(step=True)

    def _run(self, step: bool) -> None:
        """Resume, then send the stop reply. Ctrl-C is polled between slices of CHUNK_CYCLES."""
        sim = self.sim
        self._interrupt = False
        if step or sim.debug_stop is not None or sim.has_breakpoint(sim.resume_pc):
            result = sim.step()  # also steps over the breakpoint/watchpoint we are stopped at
        else:
            result = None
        while not step and (result is None or result.stop_reason in ("step", "max-cycles")):
            self._poll_interrupt()
            if self._interrupt:
                result = None  # halted by Ctrl-C between two slices
                break
            result = sim.run(max_cycles=CHUNK_CYCLES)
        if result is not None and result.stop_reason == "idle":
            self.console("m7amp: the firmware sleeps (WFI) with nothing left to wake it; Ctrl-C to halt\n")
            while not self._interrupt:
                self._recv()
                self._poll_interrupt()
            result = None
        self._interrupt = False
        self.session.last_result = result
        self.send(self._stop_for(result))

    def _poll_interrupt(self) -> None:
        while self._recv(timeout=0):
            pass
        if 0x03 in self._buf:
            self._buf = self._buf.replace(b"\x03", b"")
            self._interrupt = True

    def _stop_for(self, result: RunResult | None) -> str:
        sim = self.sim
        if result is None:
            reply = f"T{SIGINT:02x}thread:1;"
        elif result.stop_reason == "exit":
            status = (result.status or 0) & 0xFF
            self.session.exit_status = result.status
            return f"W{status:02x}"  # no stop reply to remember: the process is gone
        elif result.stop_reason == "fault":
            self.console(f"m7amp: {result.fault}\n")
            reply = f"T{SIGSEGV:02x}thread:1;"
        elif result.stop_reason == "watchpoint" and sim.debug_stop is not None:
            kind, address = sim.debug_stop
            reply = f"T{SIGTRAP:02x}{kind}:{address:x};thread:1;"
        else:  # step, breakpoint (debugger's or a bkpt instruction)
            reply = f"T{SIGTRAP:02x}thread:1;"
        self._stop_reply = reply
        return reply

    def _kill(self, _: str) -> None:
        self.session.killed = True
        return None  # k has no reply

    def _detach(self, _: str) -> str:
        self.session.detached = True
        return "OK"

    def _query_stop(self, _: str) -> str:
        return self._stop_reply

    # queries ------------------------------------------------------------------------------------------
    def _query(self, rest: str) -> str | None:
        name, _, args = rest.partition(":")
        if name.startswith("Rcmd,"):
            return self._monitor(bytes.fromhex(name[5:]).decode("latin-1"))
        if name == "Supported":
            return (f"PacketSize={MAX_PACKET:x};qXfer:features:read+;QStartNoAckMode+;vContSupported+;"
                    "hwbreak+")
        if name == "Xfer" and args.startswith("features:read:target.xml:"):
            offset, length = (int(x, 16) for x in args.rsplit(":", 1)[1].split(","))
            chunk = TARGET_XML[offset:offset + length]
            return ("m" if offset + length < len(TARGET_XML) else "l") + chunk
        if name == "Xfer":
            return "E00"
        answers = {"Attached": "1", "fThreadInfo": "m1", "sThreadInfo": "l", "C": "QC1", "Symbol": "OK",
                   "Offsets": ""}
        return answers.get(name, "")

    def _set(self, rest: str) -> str:
        if rest == "StartNoAckMode":
            self.send("OK")  # acknowledged in ack mode, then no more acks
            self._ack = False
            return None  # type: ignore[return-value]
        return ""

    def _v(self, rest: str) -> str | None:
        if rest == "Cont?":
            return "vCont;c;C;s;S;t"
        if rest.startswith("Cont;"):
            actions = [a.split(":", 1)[0] for a in rest[5:].split(";")]
            if any(a[:1] in ("s", "S") for a in actions):
                self._run(step=True)
            elif any(a[:1] in ("c", "C") for a in actions):
                self._run(step=False)
            else:  # only 't' (stop): we are stopped already
                self.send(self._stop_reply)
            return None
        if rest.startswith("Kill"):
            self.session.killed = True
            return "OK"
        return ""  # vMustReplyEmpty and anything unknown

    # monitor commands ----------------------------------------------------------------------------------
    def _monitor(self, line: str) -> str:
        name, _, args = line.strip().partition(" ")
        command = self.monitor.get(name)
        if command is None:
            self.console(f"unknown monitor command '{name}' (monitor help lists them)\n")
            return "OK"
        try:
            text = command(args.strip())
        except M7Error as exc:
            text = f"error: {exc}"
        if text:
            self.console(text if text.endswith("\n") else text + "\n")
        return "OK"

    def _mon_help(self, _: str) -> str:
        return ("monitor reset    system reset (as AIRCR.SYSRESETREQ: memory kept, peripherals and core "
                "reset, halted at the reset vector)\n"
                "monitor cycles   DWT CYCCNT, modelled core cycles, instructions, simulated time\n"
                "monitor audio    audio position (when the firmware streams audio)\n"
                + "".join(f"monitor {n}\n" for n in self.monitor if n not in ("reset", "cycles", "audio",
                                                                               "help")))

    def _mon_reset(self, _: str) -> str:
        self.sim.system_reset()
        self._stop_reply = f"S{SIGTRAP:02x}"
        return f"reset: halted at {self.sim.firmware.describe(self.sim.resume_pc)}"

    def _mon_cycles(self, _: str) -> str:
        sim = self.sim
        cyccnt = sim.dwt.cyccnt() if sim.dwt is not None else 0
        return (f"CYCCNT {cyccnt}, core cycles {sim.cycles}, instructions {sim.instructions}, "
                f"{sim.simulated_seconds * 1e3:.6f} ms simulated at {sim.core_hz / 1e6:g} MHz")

    def _mon_audio(self, _: str) -> str:
        return self.audio_position() if self.audio_position is not None else "no audio"


def listen(port: int, host: str = "127.0.0.1") -> socket.socket:
    """A listening socket on host:port (port 0: any free port; read it with getsockname())."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind((host, port))
    except OSError as exc:
        server.close()
        raise M7Error(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    server.listen(1)
    return server


def serve_gdb(sim: Simulator, port: int, *, host: str = "127.0.0.1",
              on_listening: Callable[[int], None] | None = None,
              monitor: dict[str, Callable[[str], str]] | None = None,
              audio_position: Callable[[], str] | None = None,
              server: socket.socket | None = None) -> GdbSession:
    """Wait for one gdb on host:port and serve it until it detaches, kills or disconnects.

    ``on_listening(port)`` is called once the socket listens (the real port when ``port`` is 0);
    ``monitor`` adds monitor commands; ``audio_position()`` answers ``monitor audio``."""
    server = server or listen(port, host)
    with server:
        bound = server.getsockname()[1]
        if on_listening is not None:
            on_listening(bound)
        conn, _ = server.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        return GdbServer(sim, monitor=monitor, audio_position=audio_position).serve(conn)


def print_listening(port: int) -> None:
    print(f"m7amp sim: gdb server listening on 127.0.0.1:{port} (gdb-multiarch FIRMWARE.elf "
          f"-ex 'target remote :{port}')", file=sys.stderr, flush=True)
