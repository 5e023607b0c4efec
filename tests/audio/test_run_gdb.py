"""`m7amp run --gdb` / play(gdb_port=...): gdb stops the audio firmware inside its DMA interrupt, reads
the audio position, detaches, and the run completes with no deadline misses (virtual time stood still)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path

from m7amp.audio import play
from tests._skips import requires_arm_gcc, requires_gdb
from tests.audio.conftest import guitar

pytestmark = [requires_arm_gcc, requires_gdb]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gdb_halts_the_audio_run_without_deadline_misses(audio_elf) -> None:
    elf: Path = audio_elf()
    port = free_port()
    result: dict[str, object] = {}
    runner = threading.Thread(target=lambda: result.update(r=play(elf, guitar(0.02, seed=8), 48000,
                                                                  gdb_port=port)), daemon=True)
    runner.start()
    # The server accepts one client only: probing it with a connect would use up the session, so gdb
    # itself retries until the socket listens.
    time.sleep(1.0)
    args = ["gdb-multiarch", "--batch", "-nx", str(elf), "-ex", "set confirm off",
            "-ex", "set tcp connect-timeout 60", "-ex", f"target remote :{port}",
            "-ex", "break DMA2_Stream5_IRQHandler", "-ex", "continue", "-ex", "continue",
            "-ex", "monitor audio", "-ex", "print m7_audio_stats.blocks", "-ex", "delete", "-ex", "detach"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=180)
    text = out.stdout + out.stderr
    assert "Breakpoint 1, DMA2_Stream5_IRQHandler" in text, text
    assert "frames" in text and "samples out" in text, text  # monitor audio answered
    runner.join(timeout=300)
    assert not runner.is_alive()
    played = result["r"]
    assert played.deadline_misses == 0  # type: ignore[attr-defined]
    assert played.extra["firmware_overruns"] == 0  # type: ignore[attr-defined]
