"""Hide TensorFlow's native log lines (absl, cudart, cuInit) from the commands' stderr.

TensorFlow >= 2.16 logs through absl from C++ straight to file descriptor 2, before and regardless of
``TF_CPP_MIN_LOG_LEVEL``: "WARNING: All log messages before absl::InitializeLog() ...", "Could not find
cuda drivers on your machine", "failed call to cuInit: ... (303)". On a machine without a GPU they say
nothing useful. :func:`quiet_native_logs` points descriptor 2 at a pipe whose lines are copied to the
real stderr except those; Python's ``sys.stderr`` keeps writing to the real stderr directly (so
progress bars still see a terminal). TensorFlow's Python warning that a ``tf.function`` was retraced
is dropped too: the commands that export several packages build a fresh model for each, so the retracing
is by design, not a performance bug. ``m7amp COMMAND --verbose`` leaves stderr alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator

# absl/glog: severity, MMDD, time, thread, file:line] (e.g. "E0000 00:00:1796526975.398559  13358 x.cc:52] ")
NATIVE_LOG = re.compile(rb"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.\-/]+:\d+\] ")
ABSL_PREAMBLE = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"


def _not_retracing(record: logging.LogRecord) -> bool:
    """False for TensorFlow's "N out of the last N calls to <function> triggered tf.function retracing"."""
    return "triggered tf.function retracing" not in record.getMessage()


def is_native_log(line: bytes) -> bool:
    """True for a TensorFlow/absl native log line (what the commands hide without ``--verbose``)."""
    return line.startswith(ABSL_PREAMBLE) or NATIVE_LOG.match(line) is not None


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Within the block, native writes to descriptor 2 lose their absl/TensorFlow log lines."""
    tf_logger = logging.getLogger("tensorflow")
    tf_logger.addFilter(_not_retracing)
    try:
        with _filtered_descriptor_2():
            yield
    finally:
        tf_logger.removeFilter(_not_retracing)


@contextlib.contextmanager
def _filtered_descriptor_2() -> Iterator[None]:
    """Descriptor 2 goes through a pipe that drops the native log lines (see the module docstring)."""
    try:
        sys.stderr.flush()
        real = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable descriptor 2 (embedded, closed): leave it
        yield
        return
    read_end, write_end = os.pipe()
    saved_stderr = sys.stderr
    if _on_descriptor_2(saved_stderr):
        # Python's own writes bypass the pipe: same stream options on a copy of the real descriptor
        sys.stderr = open(real, "w", buffering=1,  # noqa: SIM115 (closed in the finally below)
                          encoding=getattr(saved_stderr, "encoding", None) or "utf-8",
                          errors="backslashreplace", closefd=False)

    def copy() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for line in pipe:
                if not is_native_log(line):
                    os.write(real, line)

    thread = threading.Thread(target=copy, name="m7amp-stderr-filter", daemon=True)
    thread.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(real, 2)  # closes the pipe's last write end: the copier sees EOF
        thread.join(timeout=5)
        if sys.stderr is not saved_stderr:
            sys.stderr.close()
        sys.stderr = saved_stderr
        os.close(real)


def _on_descriptor_2(stream: object) -> bool:
    """True when ``stream`` writes to descriptor 2 (not a test's capture or a StringIO)."""
    try:
        return stream.fileno() == 2  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False
