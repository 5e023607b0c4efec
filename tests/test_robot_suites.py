"""The Robot Framework suites in robot/ parse and their keywords resolve (a dry run: nothing is built or
played; `make robot` runs them for real)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests._skips import REPO


def test_robot_suites_dry_run(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "robot", "--dryrun", "--outputdir", str(tmp_path), "--pythonpath", str(REPO),
         "--xunit", "xunit.xml", str(REPO / "robot")],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " 0 failed" in proc.stdout
    xunit = (tmp_path / "xunit.xml").read_text()
    assert 'name="Should Match The Reference Model"' in xunit
