"""TensorFlow's native log lines (absl, cudart, cuInit) are hidden from every command unless --verbose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from m7amp._quiet import is_native_log, quiet_native_logs

REPO = Path(__file__).resolve().parents[1]
TF_NOISE = ("absl::InitializeLog", "cudart_stub", "cuInit", "cuda_platform", "Could not find cuda drivers")


def test_native_log_lines_are_recognised_and_others_kept():
    assert is_native_log(b"WARNING: All log messages before absl::InitializeLog() is called are written to "
                         b"STDERR\n")
    assert is_native_log(b"I0000 00:00:1796526963.850764   13358 cudart_stub.cc:31] Could not find cuda "
                         b"drivers on your machine, GPU will not be used.\n")
    assert is_native_log(b"E0000 00:00:1796526975.398559   13358 cuda_platform.cc:52] failed call to "
                         b"cuInit\n")
    assert not is_native_log(b"m7amp run: error: audio file not found: x.wav\n")
    assert not is_native_log(b"I said: 12 ms\n")
    assert not is_native_log(b"Traceback (most recent call last):\n")


def _bench_train(*extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "m7amp", "bench", "train", "nano", "--seconds", "0.1", *extra]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=600)


def test_a_tensorflow_command_has_no_tensorflow_lines_on_stderr():
    """`m7amp bench train` imports TensorFlow and runs ops (where cuInit is probed); its stderr is clean,
    while its table still reaches stdout."""
    done = _bench_train()
    assert done.returncode == 0, done.stderr
    assert "| nano |" in done.stdout
    noisy = [line for line in done.stderr.splitlines() if any(word in line for word in TF_NOISE)]
    assert noisy == []


def test_python_stderr_and_errors_still_get_through(tmp_path: Path):
    """Filtering leaves m7amp's own one-line errors alone (they are written while the filter is on)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "m7amp", "run", "--in", str(tmp_path / "none.wav")],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 2
    assert "audio file not found" in done.stderr


_CHILD = r"""
import os, sys
from m7amp._quiet import quiet_native_logs
native = b"I0000 00:00:1796526963.850764   13358 cudart_stub.cc:31] Could not find cuda drivers\n"
with quiet_native_logs():
    os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
    os.write(2, native)
    os.write(2, b"native line kept\n")
    print("python line kept", file=sys.stderr)
os.write(2, native)  # after the block: descriptor 2 is the real stderr again
"""


def test_the_filter_drops_native_log_lines_on_descriptor_2_only():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "native line kept" in lines and "python line kept" in lines
    assert not any("absl::InitializeLog" in line for line in lines)
    assert sum("cudart_stub" in line for line in lines) == 1  # only the one written after the block


def test_the_filter_drops_tensorflows_retracing_warning_only(caplog):
    """Exports build a fresh Keras model per package, so TensorFlow's "retracing" warning is expected noise;
    other TensorFlow warnings still get through."""
    import logging

    retraced = ("6 out of the last 6 calls to <function TensorFlowTrainer.make_predict_function.<locals>.f> "
                "triggered tf.function retracing. Tracing is expensive")
    logger = logging.getLogger("tensorflow")
    with caplog.at_level(logging.WARNING, logger="tensorflow"), quiet_native_logs():
        logger.warning(retraced)
        logger.warning("another TensorFlow warning")
    logger.warning(retraced)  # after the block the filter is gone
    messages = [record.getMessage() for record in caplog.records]
    assert messages.count(retraced) == 1 and "another TensorFlow warning" in messages
