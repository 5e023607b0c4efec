"""The ``renode`` backend: Renode runs the ``hostlink`` ELF on ``renode/stm32f767.repl`` (through
``renode/m7amp.resc``) and the host-link protocol is spoken over USART3 (docs/renode.md).

USART3 is connected to a pseudo-terminal (``emulation CreateUartPtyTerminal``) in a private folder, not
to a TCP socket: Renode's ``CreateServerSocketTerminal`` has no address parameter and listens on all
interfaces (checked up to renode-infrastructure of 2026-08), while a pty is reachable by this user only.
Renode starts with a private ``TMPDIR`` (at start it deletes other processes' ``$TMPDIR/renode-*``),
without GUI, with its monitor on its own stdin (``--console``, a pipe we hold): no port is opened.

Nothing here runs without a ``renode`` binary; the command line and the error messages are unit-tested.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from m7amp.errors import M7Error
from m7amp.hostlink import Stream
from m7amp.targets._hostlink_target import DEFAULT_BLOCK, HostLinkTarget

REPO = Path(__file__).resolve().parents[2]
RESC = REPO / "renode" / "m7amp.resc"
PTY_NAME = "usart3"


def find_renode(renode: str | None = None) -> str:
    """The Renode executable: ``renode`` if given (a path or a name on PATH), else ``renode`` on PATH."""
    path = shutil.which(renode or "renode")
    if path is None:
        where = f"{renode!r} was not found" if renode else "no `renode` on PATH"
        raise M7Error(f"Renode is not available ({where}): install it (https://renode.io, or the releases "
                      "of github.com/renode/renode), or give its path (--renode PATH, renode=PATH)")
    return path


def renode_command(renode: str, elf: Path, pty: Path, resc: Path = RESC) -> list[str]:
    """Renode without GUI, its monitor on stdin, running ``resc`` on ``elf`` with USART3 on ``pty``."""
    commands = [f"set bin @{Path(elf).resolve()}", f'set uart_pty "{pty}"', f"include @{resc}", "start"]
    return [renode, "--disable-xwt", "--console", "--plain", *(a for c in commands for a in ("-e", c))]


class RenodeTarget(HostLinkTarget):
    """Renode running the ``hostlink`` firmware.

    ``renode``: the executable (default: ``renode`` on PATH); ``startup_timeout``: seconds to wait for
    Renode to create the USART3 pty; ``baud`` only sets the host side of the pty (Renode's UART has no
    baud timing)."""

    name = "renode"

    def __init__(self, *, renode: str | None = None, block_size: int = DEFAULT_BLOCK, timeout: float = 60.0,
                 startup_timeout: float = 60.0, baud: int = 921_600):
        super().__init__(block_size=block_size, timeout=timeout)
        self.renode = renode
        self.startup_timeout = float(startup_timeout)
        self.baud = int(baud)
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._renode_log: Path | None = None

    @property
    def pty(self) -> Path:
        if self._tmp is None:
            raise M7Error("renode: not started (call load() first)")
        return Path(self._tmp.name) / PTY_NAME

    def load(self, elf: Path) -> None:
        elf = Path(elf)
        if not elf.is_file():
            raise M7Error(f"{elf}: no such firmware ELF")
        exe = find_renode(self.renode)
        self._stop()
        self._tmp = tempfile.TemporaryDirectory(prefix="m7amp-renode-")
        tmpdir = Path(self._tmp.name)
        (tmpdir / "tmp").mkdir()
        self._renode_log = tmpdir / "renode.log"
        env = {**os.environ, "TMPDIR": str(tmpdir / "tmp")}
        with open(self._renode_log, "wb") as log:
            self._proc = subprocess.Popen(renode_command(exe, elf, self.pty), stdin=subprocess.PIPE,
                                          stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmpdir)
        deadline = time.monotonic() + self.startup_timeout
        while not self.pty.exists():
            if self._proc.poll() is not None:
                raise M7Error(f"renode exited with status {self._proc.returncode} before creating USART3's "
                              f"pty: {self._log_tail()}")
            if time.monotonic() > deadline:
                self._stop()
                raise M7Error(f"renode did not create USART3's pty within {self.startup_timeout:g} s")
            time.sleep(0.1)
        self.elf = elf

    def _log_tail(self) -> str:
        if self._renode_log is None or not self._renode_log.exists():
            return "(no log)"
        lines = self._renode_log.read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:]) or "(empty log)"

    def _open(self) -> Stream:
        import serial  # pyserial opens a pty like a serial port (raw mode)

        try:
            return serial.Serial(str(self.pty), self.baud, timeout=0.05)
        except serial.SerialException as exc:
            raise M7Error(f"cannot open Renode's USART3 pty {self.pty}: {exc}") from exc

    def reset(self) -> None:
        """Restart Renode on the same ELF (a fresh machine: state, time and UART all from reset)."""
        if self.elf is None:
            raise M7Error("renode: load() a firmware ELF first")
        self.load(self.elf)

    def _stop(self) -> None:
        self._close_stream()
        if self._proc is not None:
            if self._proc.poll() is None:
                try:
                    assert self._proc.stdin is not None
                    self._proc.stdin.write(b"quit\n")
                    self._proc.stdin.flush()
                    self._proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def close(self) -> None:
        self._stop()
