"""The C block hook: built once with the host cc, cached by source hash."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from m7amp.sim import _blockhook
from tests._skips import requires_host_cc

pytestmark = requires_host_cc


def test_library_is_cached_under_the_source_hash(tmp_path: Path) -> None:
    code = "from m7amp.sim._blockhook import load_library; load_library()"
    env = {**os.environ, "M7AMP_CACHE": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    digest = hashlib.sha1(Path(_blockhook.__file__).with_name("_blockhook.c").read_bytes()).hexdigest()[:16]
    built = tmp_path / f"blockhook-{digest}.so"
    assert [p.name for p in tmp_path.iterdir()] == [built.name]
    stamp = built.stat().st_mtime_ns
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert built.stat().st_mtime_ns == stamp  # second use loads, does not rebuild
