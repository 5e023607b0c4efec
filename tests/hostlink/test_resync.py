"""The resync rule under random garbage (fixed seeds): bytes full of sync bytes and false headers
before every frame never cost a frame, on the firmware side (the C server over the pty) and on the
host side (FrameReader)."""

from __future__ import annotations

import numpy as np

from m7amp.hostlink import OUTPUT, PROCESS, SYNC, FrameReader, encode_frame, to_wire
from tests._skips import requires_host_cc


def garbage(rng: np.random.Generator) -> bytes:
    """Random bytes rich in 0xA5 / 0x7E and with false headers (valid sync, wrong header CRC)."""
    parts = []
    for _ in range(int(rng.integers(0, 6))):
        kind = rng.integers(0, 4)
        if kind == 0:
            parts.append(rng.integers(0, 256, int(rng.integers(1, 40)), dtype=np.uint8).tobytes())
        elif kind == 1:
            parts.append(rng.choice([0xA5, 0x7E], int(rng.integers(1, 8))).astype(np.uint8).tobytes())
        elif kind == 2:  # a false header: sync, then 10 random bytes (its CRC fails but for 2^-32)
            parts.append(SYNC + rng.integers(0, 256, 10, dtype=np.uint8).tobytes())
        else:  # a false header cut short
            parts.append(SYNC + rng.integers(0, 256, int(rng.integers(0, 10)), dtype=np.uint8).tobytes())
    return b"".join(parts)


class Chunks:
    """A stream that returns given bytes in random-sized pieces."""

    def __init__(self, data: bytes, rng: np.random.Generator):
        self.data, self.rng = data, rng

    def read(self, n: int) -> bytes:
        k = min(n, int(self.rng.integers(1, 64)))
        out, self.data = self.data[:k], self.data[k:]
        return out

    def write(self, data: bytes) -> int:
        return len(data)


def test_frame_reader_finds_every_frame_in_garbage() -> None:
    rng = np.random.default_rng(1234)
    frames = [encode_frame(OUTPUT, seq, rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8)
                           .tobytes()) for seq in range(300)]
    junk = [garbage(rng) for _ in frames]
    reader = FrameReader(Chunks(b"".join(j + f for j, f in zip(junk, frames, strict=True)), rng))
    for seq, frame in enumerate(frames):
        got = reader.read_frame(timeout=5.0)
        assert (got.type, got.seq, got.payload) == (OUTPUT, seq, frame[12:-4])
    # Exactly the garbage was skipped: no frame byte was lost in a false header.
    assert len(reader.skipped) == sum(map(len, junk))


@requires_host_cc
def test_firmware_server_answers_every_frame_after_garbage(pty_server) -> None:
    rng = np.random.default_rng(99)
    server = pty_server("q15")
    client = server.client
    x = (0.4 * np.sin(np.arange(40 * 16) * 0.05)).astype(np.float32)
    client.info()
    client.reset()
    want = [client.process(x[i:i + 16])[0] for i in range(0, len(x), 16)]  # without garbage
    client.reset()
    for k, i in enumerate(range(0, len(x), 16)):
        junk = garbage(rng)
        # Garbage must not end in a partial frame that waits for the inter-byte timeout: a cut-short
        # header is followed by the real frame at once, so resync has to find it inside the header.
        server.stream.write(junk + encode_frame(PROCESS, client.seq, to_wire(x[i:i + 16], "q15")))
        reply = client.receive()
        assert (reply.type, reply.seq) == (OUTPUT, client.seq), f"block {k}"
        out = np.frombuffer(reply.payload[4:], dtype="<i2").astype(np.float32) / np.float32(32768.0)
        assert np.array_equal(out, want[k]), f"block {k}"
        client.seq += 1


def test_garbage_helper_makes_false_syncs() -> None:
    rng = np.random.default_rng(5)
    blob = b"".join(garbage(rng) for _ in range(50))
    assert blob.count(SYNC) > 20  # the generator does exercise the resync path
