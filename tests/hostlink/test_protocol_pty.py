"""The host-link protocol C code (firmware/app/hostlink/m7_hostlink.c, the same file the firmware links)
built for the host with the real engine, served over a pseudo-terminal to ``HostLinkClient``: good
frames, and every kind of bad frame rejected with an ERROR naming the reason and never processed."""

from __future__ import annotations

import os
import struct
import time

import numpy as np
import pytest

from m7amp.hostlink import (
    HELLO,
    PROCESS,
    SYNC,
    HostLinkError,
    HostLinkTimeoutError,
    crc32,
    encode_frame,
    to_wire,
)
from m7amp.metrics import esr
from tests._skips import requires_host_cc
from tests.hostlink.conftest import HOST_TIMEOUT_MS, META, PACKAGE

pytestmark = requires_host_cc

RNG = np.random.default_rng(7)
SIGNAL = (0.4 * np.sin(np.arange(512) * 0.03) + 0.05 * RNG.standard_normal(512)).astype(np.float32)


def expect_error(server, reason: str, *, seq: int | None = None) -> HostLinkError:
    with pytest.raises(HostLinkError) as info:
        server.client.receive()
    assert info.value.reason == reason, str(info.value)
    if seq is not None:
        assert info.value.seq == seq
    return info.value


def fresh_output(server, blocks: list[np.ndarray]) -> list[np.ndarray]:
    """Reset, then process ``blocks`` in order: the reference a rejected frame must not disturb."""
    server.client.reset()
    return [server.client.process(b)[0] for b in blocks]


@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_info_reports_the_model_and_the_banner_is_skipped(pty_server, precision: str) -> None:
    server = pty_server(precision)
    info = server.client.info()
    assert info.model == META["name"] and info.precision == precision
    assert info.sample_bytes == (4 if precision == "f32" else 2)
    assert info.max_block == 256 and info.sample_rate == META["sample_rate"] and info.n_knobs == 0
    assert info.timeout_ms == HOST_TIMEOUT_MS
    assert "host_server ready" in server.client.skipped_text


@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_good_frames_give_the_engine_output_close_to_keras(pty_server, precision: str) -> None:
    # The whole golden input, block by block: the ESR vs Keras must be the one export measured for
    # this precision's C model (the same engine, so the same numbers up to float summation order).
    server = pty_server(precision)
    client = server.client
    x = np.load(PACKAGE / META["golden"]["input"]).astype(np.float32)[:, 0]
    y = np.load(PACKAGE / META["golden"]["output"]).astype(np.float32)
    client.info()
    client.reset()
    out = np.concatenate([client.process(x[i:i + 256])[0] for i in range(0, len(x), 256)])
    assert out.shape == y.shape
    value = esr(y, out)
    want = META["variants"][f"c_{precision}"]["esr_vs_keras"]
    assert value == pytest.approx(want, rel=1e-3, abs=1e-9)


def test_block_split_does_not_change_the_output(pty_server) -> None:
    client = pty_server("q15").client
    client.info()
    whole = np.concatenate(fresh_output(pty_server("q15"), [SIGNAL[:256], SIGNAL[256:]]))
    parts = fresh_output(pty_server("q15"), [SIGNAL[i:i + 32] for i in range(0, 512, 32)])
    assert np.array_equal(whole, np.concatenate(parts))
    assert client.process(SIGNAL[:32])[1] == 0  # the host build has no DWT: cycles are 0


def test_crc32_is_zlibs() -> None:
    assert crc32(b"123456789") == 0xCBF43926  # the CRC-32 check value
    assert crc32(b"") == 0


def test_bad_payload_crc_is_rejected_and_not_processed(pty_server) -> None:
    server = pty_server()
    client = server.client
    blocks = [SIGNAL[:64], SIGNAL[64:128]]
    want = fresh_output(server, blocks)
    client.reset()
    client.process(blocks[0])
    frame = bytearray(encode_frame(PROCESS, client.seq, to_wire(blocks[1], "f32")))
    frame[20] ^= 0x01  # a payload bit
    server.stream.write(bytes(frame))
    err = expect_error(server, "bad-crc", seq=client.seq)
    assert err.expected_seq == client.seq
    # The same seq, sent intact, is processed as if the bad frame never came.
    assert np.array_equal(client.process(blocks[1])[0], want[1])


def test_truncated_frame_times_out_and_is_not_processed(pty_server) -> None:
    server = pty_server()
    client = server.client
    want = fresh_output(server, [SIGNAL[:64]])
    client.reset()
    frame = encode_frame(PROCESS, client.seq, to_wire(SIGNAL[:64], "f32"))
    server.stream.write(frame[:100])
    t0 = time.monotonic()
    expect_error(server, "timeout", seq=client.seq)
    assert time.monotonic() - t0 >= HOST_TIMEOUT_MS / 1000 * 0.9
    assert np.array_equal(client.process(SIGNAL[:64])[0], want[0])


def test_truncated_header_times_out_with_unknown_seq(pty_server) -> None:
    server = pty_server()
    server.client.info()
    server.stream.write(encode_frame(PROCESS, 9, b"\0\0\0\0")[:6])
    err = expect_error(server, "timeout")
    assert (err.frame_type, err.seq) == (0, 0)


def test_out_of_order_and_repeated_seq_are_rejected(pty_server) -> None:
    server = pty_server()
    client = server.client
    blocks = [SIGNAL[:64], SIGNAL[64:128]]
    want = fresh_output(server, blocks)
    client.reset()
    first = client.seq
    client.process(blocks[0])
    with pytest.raises(HostLinkError, match="repeated") as info:
        client.request(PROCESS, to_wire(blocks[1], "f32"), seq=first)
    assert (info.value.reason, info.value.seq, info.value.expected_seq) == ("repeated", first, first + 1)
    with pytest.raises(HostLinkError) as info:
        client.request(PROCESS, to_wire(blocks[1], "f32"), seq=first + 5)
    assert (info.value.reason, info.value.expected_seq) == ("out-of-order", first + 1)
    assert np.array_equal(client.process(blocks[1])[0], want[1])


def test_first_block_after_hello_must_carry_the_next_seq(pty_server) -> None:
    client = pty_server().client
    client.request(HELLO, seq=100)
    with pytest.raises(HostLinkError, match="out-of-order"):
        client.request(PROCESS, to_wire(SIGNAL[:8], "f32"), seq=100)
    client.seq = 101
    assert len(client.process(SIGNAL[:8])[0]) == 8


def test_oversize_frame_is_rejected_and_its_payload_skipped(pty_server) -> None:
    server = pty_server()
    client = server.client
    client.info()
    payload = bytes(range(256)) * 20  # 5120 bytes > the 1028-byte maximum; contains no valid frame
    server.stream.write(encode_frame(PROCESS, client.seq, payload))
    expect_error(server, "oversize", seq=client.seq)
    out, _ = client.process(SIGNAL[:16])
    assert len(out) == 16


@pytest.mark.parametrize(("frame_type", "payload", "reason"), [
    (PROCESS, b"\0\0\0", "bad-length"),  # not whole float32 samples
    (PROCESS, b"", "bad-length"),  # no samples
    (PROCESS, bytes(4 * 257), "bad-length"),  # more than max_block samples
    (HELLO, b"x", "bad-length"),
    (0x42, b"", "unknown-type"),
    (0x83, b"\0" * 8, "unknown-type"),  # a reply type sent as a request
])
def test_invalid_requests_are_rejected(pty_server, frame_type: int, payload: bytes, reason: str) -> None:
    server = pty_server()
    client = server.client
    client.info()
    server.stream.write(encode_frame(frame_type, client.seq, payload))
    err = expect_error(server, reason, seq=client.seq)
    assert err.frame_type == frame_type
    assert len(client.process(SIGNAL[:4])[0]) == 4  # still in step


def test_garbage_before_a_frame_is_skipped(pty_server) -> None:
    server = pty_server()
    client = server.client
    want = fresh_output(server, [SIGNAL[:32]])
    client.reset()
    # Noise, a lone sync byte, a false sync whose header CRC fails, then a frame cut short by a new one.
    fake = SYNC + struct.pack("<BBHH", PROCESS, 0, client.seq, 8) + b"\0\0\0\0"
    garbage = os.urandom(64).replace(SYNC[:1], b"\0") + SYNC[:1] + b"zz" + fake + SYNC + b"\x01"
    server.stream.write(garbage)
    assert np.array_equal(client.process(SIGNAL[:32])[0], want[0])


def test_no_reply_raises_a_timeout(pty_server) -> None:
    server = pty_server()
    server.client.info()
    server.client.timeout = 0.3
    server.stream.write(b"no frame here")
    with pytest.raises(HostLinkTimeoutError, match="no complete reply"):
        server.client.receive()


class HoldFirstWrite:
    """A stream that holds back its first write: dropped, or delivered late with the second one."""

    def __init__(self, stream, *, deliver_late: bool):
        self.stream, self.deliver_late, self.held, self.writes = stream, deliver_late, b"", 0

    def read(self, n: int) -> bytes:
        return self.stream.read(n)

    def write(self, data: bytes) -> int:
        self.writes += 1
        if self.writes == 1:
            self.held = data
            return len(data)
        out = (self.held if self.deliver_late else b"") + data
        self.held = b""
        return self.stream.write(out)


@pytest.mark.parametrize("deliver_late", [False, True])
def test_hello_is_retried_when_the_firmware_is_not_listening_yet(pty_server, deliver_late: bool) -> None:
    from m7amp.hostlink import HostLinkClient

    server = pty_server()
    client = HostLinkClient(HoldFirstWrite(server.stream, deliver_late=deliver_late), timeout=5.0)
    with pytest.raises(HostLinkTimeoutError):
        HostLinkClient(HoldFirstWrite(server.stream, deliver_late=False), timeout=0.2).info()
    info = client.info(attempts=3, timeout=0.3)  # the lost (or late) HELLO had seq 0, the answered one 1
    assert info.model == META["name"] and client.seq == 2
    assert len(client.process(SIGNAL[:8])[0]) == 8  # the late INFO (seq 0) was skipped, not left queued
