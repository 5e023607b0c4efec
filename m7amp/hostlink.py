"""The host-link protocol, host side: framing, CRC and a client (byte layout: docs/hostlink.md).

The firmware app ``hostlink`` (firmware/app/hostlink) answers framed blocks of samples on USART3 with
the engine's output and the DWT cycles of the engine call. ``HostLinkClient`` speaks to it over any
byte stream with ``read(n)``/``write(data)``: a pyserial port, ``SocketStream`` (Renode's socket
terminal), ``FdStream`` (a pseudo-terminal) or ``m7amp.sim.uart_stream.SimUartStream`` (the simulator).

``read(n)`` may return fewer than ``n`` bytes (``b""`` when nothing came within the stream's timeout);
the client keeps reading until its own deadline.
"""

from __future__ import annotations

import os as _os
import select as _select
import socket as _socket
import struct as _struct
import time as _time
import zlib as _zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from m7amp.errors import M7Error
from m7amp.playback import PlayResult

SYNC = b"\xa5\x7e"
HEADER = _struct.Struct("<2sBBHHI")  # sync, type, flags, seq, len, header CRC
HEADER_BYTES = HEADER.size  # 12
CRC_BYTES = 4
VERSION = 1

HELLO, RESET, PROCESS = 0x01, 0x02, 0x03
INFO, RESET_OK, OUTPUT, ERROR = 0x81, 0x82, 0x83, 0xEE

# ERROR reasons (m7_hl_reason_t in firmware/app/hostlink/m7_hostlink.h)
REASONS = {1: "bad-crc", 2: "timeout", 3: "bad-length", 4: "out-of-order", 5: "repeated",
           6: "unknown-type", 7: "oversize", 8: "engine"}
PRECISIONS = {0: "f32", 1: "q15"}


def crc32(data: bytes) -> int:
    """CRC-32 of IEEE 802.3 (zlib's), the one the firmware computes with a nibble table."""
    return _zlib.crc32(data) & 0xFFFF_FFFF


def encode_frame(frame_type: int, seq: int, payload: bytes = b"", *, flags: int = 0) -> bytes:
    """One frame: header (with its CRC), payload, payload CRC."""
    head = _struct.pack("<2sBBHH", SYNC, frame_type, flags, seq & 0xFFFF, len(payload))
    return head + _struct.pack("<I", crc32(head)) + payload + _struct.pack("<I", crc32(payload))


class HostLinkError(M7Error):
    """The firmware rejected a request with an ERROR frame (the request was not processed)."""

    def __init__(self, reason: str, frame_type: int, seq: int, expected_seq: int, message: str):
        super().__init__(f"host link: {reason} ({message}) for frame type 0x{frame_type:02x} seq {seq}; "
                         f"firmware expects seq {expected_seq}")
        self.reason, self.frame_type, self.seq, self.expected_seq = reason, frame_type, seq, expected_seq


class HostLinkTimeoutError(M7Error):
    """No complete reply within the client's timeout."""


class HostLinkProtocolError(M7Error):
    """A reply that does not fit the request (wrong type, seq or length, bad CRC)."""


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes


@dataclass(frozen=True)
class LinkInfo:
    """What the firmware reports in its INFO frame."""

    version: int
    precision: str  # f32 | q15
    sample_bytes: int  # 4 (float32 LE) or 2 (int16 LE, Q15)
    max_block: int
    n_knobs: int
    sample_rate: int
    core_hz: int
    timeout_ms: int
    model: str

    @classmethod
    def parse(cls, payload: bytes) -> LinkInfo:
        if len(payload) < 21 or len(payload) != 21 + payload[20]:
            raise HostLinkProtocolError(f"host link: INFO payload of {len(payload)} bytes is malformed")
        version, prec, sbytes, _, max_block, knobs, rate, core_hz, timeout_ms, n = _struct.unpack_from(
            "<BBBBHHIIIB", payload)
        if prec not in PRECISIONS or sbytes != (4 if prec == 0 else 2):
            raise HostLinkProtocolError(f"host link: INFO has precision {prec} with {sbytes}-byte samples")
        return cls(version, PRECISIONS[prec], sbytes, max_block, knobs, rate, core_hz, timeout_ms,
                   payload[21:21 + n].decode("ascii", "replace"))


class Stream(Protocol):
    def read(self, n: int) -> bytes: ...
    def write(self, data: bytes) -> object: ...


def to_wire(samples: np.ndarray, precision: str) -> bytes:
    """float samples in [-1, 1] to the wire format: float32 LE, or int16 LE Q15 (rounded, saturated)."""
    x = np.asarray(samples, dtype=np.float32)
    if precision == "q15":
        return np.clip(np.round(x.astype(np.float64) * 32768.0), -32768, 32767).astype("<i2").tobytes()
    return x.astype("<f4").tobytes()


def from_wire(data: bytes, precision: str) -> np.ndarray:
    """The wire format back to float32 samples (Q15: value / 32768)."""
    if precision == "q15":
        return (np.frombuffer(data, dtype="<i2").astype(np.float32) / np.float32(32768.0)).astype(np.float32)
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


class FrameReader:
    """Finds frames in a byte stream with the firmware's resync rule: bytes before a sync, and a header
    whose CRC fails, are skipped (kept in ``skipped``: text the firmware printed, or garbage)."""

    def __init__(self, stream: Stream):
        self.stream = stream
        self.buf = bytearray()
        self.skipped = bytearray()

    def _fill(self, need: int, deadline: float, clock: Callable[[], float]) -> None:
        while len(self.buf) < need:
            if clock() >= deadline:
                raise HostLinkTimeoutError(f"host link: no complete reply within the timeout "
                                           f"({len(self.buf)} of {need} bytes of a frame)")
            chunk = self.stream.read(max(1, need - len(self.buf)))
            if chunk:
                self.buf += chunk

    def _skip(self, n: int) -> None:
        self.skipped += self.buf[:n]
        del self.buf[:n]

    def read_frame(self, timeout: float, clock: Callable[[], float] = _time.monotonic) -> Frame:
        deadline = clock() + timeout
        while True:
            self._fill(2, deadline, clock)
            at = self.buf.find(SYNC)
            if at < 0:
                self._skip(len(self.buf) - (1 if self.buf[-1:] == SYNC[:1] else 0))
                continue
            self._skip(at)
            self._fill(HEADER_BYTES, deadline, clock)
            _, ftype, _, seq, length, hcrc = HEADER.unpack_from(self.buf)
            if crc32(bytes(self.buf[:8])) != hcrc:
                self._skip(1)
                continue
            self._fill(HEADER_BYTES + length + CRC_BYTES, deadline, clock)
            payload = bytes(self.buf[HEADER_BYTES:HEADER_BYTES + length])
            (pcrc,) = _struct.unpack_from("<I", self.buf, HEADER_BYTES + length)
            del self.buf[:HEADER_BYTES + length + CRC_BYTES]
            if crc32(payload) != pcrc:
                raise HostLinkProtocolError(f"host link: reply type 0x{ftype:02x} seq {seq} failed its CRC")
            return Frame(ftype, seq, payload)


class HostLinkClient:
    """Requests to the ``hostlink`` firmware over ``stream``; one reply per request.

    ``timeout`` bounds each reply in seconds of ``clock`` (host time by default; the simulator's stream
    brings its own virtual clock)."""

    def __init__(self, stream: Stream, *, timeout: float = 5.0, clock: Callable[[], float] | None = None):
        self.stream = stream
        self.timeout = timeout
        self.clock = clock or getattr(stream, "clock", None) or _time.monotonic
        self.reader = FrameReader(stream)
        self.seq = 0
        self.link_info: LinkInfo | None = None

    @property
    def skipped_text(self) -> str:
        """Bytes that were not frames (the firmware's banner line, garbage), as text."""
        return self.reader.skipped.decode("latin-1")

    def request(self, frame_type: int, payload: bytes = b"", *, seq: int | None = None) -> Frame:
        """Send one frame and return its reply; an ERROR reply raises ``HostLinkError``."""
        seq = self.seq if seq is None else seq
        self.stream.write(encode_frame(frame_type, seq, payload))
        reply = self.receive()
        if reply.type != frame_type | 0x80 or reply.seq != seq & 0xFFFF:
            raise HostLinkProtocolError(
                f"host link: reply type 0x{reply.type:02x} seq {reply.seq} to request type "
                f"0x{frame_type:02x} seq {seq & 0xFFFF}")
        return reply

    def receive(self, timeout: float | None = None) -> Frame:
        """The next frame from the firmware; an ERROR frame raises ``HostLinkError``."""
        reply = self.reader.read_frame(self.timeout if timeout is None else timeout, self.clock)
        if reply.type == ERROR:
            p = reply.payload
            if len(p) < 6:
                raise HostLinkProtocolError("host link: ERROR payload too short")
            reason, ftype, rseq, expected = _struct.unpack_from("<BBHH", p)
            raise HostLinkError(REASONS.get(reason, f"reason-{reason}"), ftype, rseq, expected,
                                p[6:].decode("ascii", "replace"))
        return reply

    def info(self, *, attempts: int = 1, timeout: float | None = None) -> LinkInfo:
        """HELLO: what the firmware runs. Also a sync point: the next block carries seq + 1.

        Right after a start the firmware may not be listening yet: with ``attempts`` > 1 a HELLO that
        gets no reply within ``timeout`` (default: the client's), or only a partial-frame error, is sent
        again with the next seq, and a late INFO answering an earlier HELLO is skipped."""
        stale: set[int] = set()
        for attempt in range(attempts):
            self.stream.write(encode_frame(HELLO, self.seq))
            try:
                reply = self.receive(timeout)
                while reply.type == INFO and reply.seq in stale:
                    reply = self.receive(timeout)
            except (HostLinkTimeoutError, HostLinkError) as exc:
                if attempt + 1 == attempts or (isinstance(exc, HostLinkError) and exc.reason != "timeout"):
                    raise
                stale.add(self.seq)
                self.seq = (self.seq + 1) & 0xFFFF
                continue
            if reply.type != INFO or reply.seq != self.seq:
                raise HostLinkProtocolError(f"host link: reply type 0x{reply.type:02x} seq {reply.seq} to "
                                            f"HELLO seq {self.seq}")
            self.link_info = LinkInfo.parse(reply.payload)
            self.seq = (self.seq + 1) & 0xFFFF
            return self.link_info
        raise AssertionError("unreachable")

    def reset(self) -> None:
        """RESET: zero the engine state (a sync point, like info())."""
        self.request(RESET)
        self.seq = (self.seq + 1) & 0xFFFF

    def process_raw(self, wire: bytes) -> tuple[bytes, int]:
        """One block already in the wire format; returns (output bytes, DWT cycles)."""
        reply = self.request(PROCESS, wire)
        if len(reply.payload) != 4 + len(wire):
            raise HostLinkProtocolError(f"host link: OUTPUT of {len(reply.payload) - 4} bytes for "
                                        f"{len(wire)} bytes sent")
        self.seq = (self.seq + 1) & 0xFFFF
        (cycles,) = _struct.unpack_from("<I", reply.payload)
        return reply.payload[4:], cycles

    def process(self, block: np.ndarray) -> tuple[np.ndarray, int]:
        """Run one block of float samples (at most ``max_block``) through the engine: (output, cycles)."""
        info = self.link_info or self.info()
        if not 1 <= len(block) <= info.max_block:
            raise M7Error(f"host link: block of {len(block)} samples (firmware takes 1..{info.max_block})")
        out, cycles = self.process_raw(to_wire(block, info.precision))
        return from_wire(out, info.precision), cycles


def play_blocks(client: HostLinkClient, samples: np.ndarray, sample_rate: int, block_size: int, *,
                target: str, progress: Callable[[int, int], None] | None = None) -> PlayResult:
    """Feed ``samples`` through the firmware block by block (after a RESET); the Target backends' play().

    ``deadline_misses`` counts blocks whose engine cycles exceed the block's real-time budget
    (block / rate at the core clock): the host link is not real time, so these are would-be misses."""
    info = client.info()
    if not 1 <= block_size <= info.max_block:
        raise M7Error(f"block size {block_size} is outside 1..{info.max_block} (the firmware's maximum)")
    client.reset()
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    out = np.empty_like(x)
    cycles: list[int] = []
    t0 = _time.perf_counter()
    for start in range(0, len(x), block_size):
        y, c = client.process(x[start:start + block_size])
        out[start:start + len(y)] = y
        cycles.append(c)
        if progress is not None:
            progress(start + len(y), len(x))
    budget = block_size * info.core_hz / sample_rate
    return PlayResult(output=out, sample_rate=sample_rate, block_size=block_size,
                      block_cycles=np.asarray(cycles, dtype=np.int64),
                      deadline_misses=int(sum(c > budget for c in cycles)), target=target,
                      extra={"model": info.model, "precision": info.precision, "model_rate": info.sample_rate,
                             "app": "hostlink", "host_seconds": _time.perf_counter() - t0})


class FdStream:
    """A file descriptor (e.g. a pseudo-terminal master) as a stream: ``read`` waits up to ``poll`` s."""

    def __init__(self, fd: int, *, poll: float = 0.05):
        self.fd, self.poll = fd, poll

    def read(self, n: int) -> bytes:
        ready, _, _ = _select.select([self.fd], [], [], self.poll)
        return _os.read(self.fd, n) if ready else b""

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = view[_os.write(self.fd, view):]
        return len(data)


class SocketStream:
    """A connected TCP socket (Renode's USART3 socket terminal) as a stream."""

    def __init__(self, sock: _socket.socket, *, poll: float = 0.05):
        self.sock = sock
        sock.settimeout(poll)

    @classmethod
    def connect(cls, host: str, port: int, *, timeout: float = 10.0) -> SocketStream:
        return cls(_socket.create_connection((host, port), timeout=timeout))

    def read(self, n: int) -> bytes:
        try:
            data = self.sock.recv(n)
        except TimeoutError:
            return b""
        if not data:
            raise HostLinkProtocolError("host link: the socket was closed by the other side")
        return data

    def write(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def close(self) -> None:
        self.sock.close()
