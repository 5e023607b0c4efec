"""Skip markers, named once (pytest imports them from here)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """The real recordings (never copied into the repo): $M7AMP_SHARED_DATA or ../shared/data."""
    env = os.environ.get("M7AMP_SHARED_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    return path if path.is_dir() else None


requires_arm_gcc = pytest.mark.skipif(
    shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed (run `make test`)"
)
requires_host_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no host C compiler (cc)")
requires_shared_data = pytest.mark.skipif(
    shared_data_dir() is None, reason="../shared/data (real recordings) not present"
)
requires_gdb = pytest.mark.skipif(
    shutil.which("gdb-multiarch") is None, reason="gdb-multiarch not installed (run `make test`)"
)
requires_qemu = pytest.mark.skipif(
    shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed (run `make test`)"
)


def _tflm_skip_reason() -> str | None:
    from m7amp.tflm import skip_reason

    return skip_reason()


# The tflm engine needs a TFLM tree (create_tflm_tree.py output) named by $M7AMP_TFLM_DIR.
requires_tflm = pytest.mark.skipif(_tflm_skip_reason() is not None, reason=_tflm_skip_reason() or "")


def _renode_skip_reason() -> str | None:
    from m7amp.errors import M7Error
    from m7amp.targets.renode import check_renode

    try:
        check_renode()  # --renode is a CLI option; here: $RENODE, else `renode` on PATH
    except M7Error as exc:
        return str(exc)
    return None


# Tests that run the real Renode (>= 1.16.1): found through $RENODE or PATH (`make test` sets RENODE to
# ../shared/renode/renode when it exists).
requires_renode = pytest.mark.skipif(_renode_skip_reason() is not None, reason=_renode_skip_reason() or "")
