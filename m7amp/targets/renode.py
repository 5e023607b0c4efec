"""Renode: finding it, checking its version, and running firmware in it (docs/renode.md).

``find_renode`` finds the launcher (``--renode PATH``/``renode=PATH``, else ``$RENODE``, else ``renode`` on
PATH); ``check_renode`` also refuses a version older than ``MIN_VERSION``. ``RenodeSession`` is one
Renode process running ``renode/m7amp.resc`` on an ELF, with USART3 on a pseudo-terminal (the host link)
or in a file (a text log); it reads Renode's log so that every failure is one line within seconds: a
.repl/.resc error (Renode's own message: in ``--console`` mode Renode does not exit on a script error, it
waits at its prompt), an ``[ERROR]`` Renode logs, Renode exiting, a firmware fault (its dump from USART3),
or a time limit (with the tail of Renode's log). The run ends when the firmware calls ``m7_exit``: the
script's hook logs ``m7_exit(STATUS)``.

``RenodeTarget`` (the ``renode`` backend) runs the ``hostlink`` app in a session and speaks the host-link
protocol over the pty. The pty is in a private folder, not a TCP socket: Renode's
``CreateServerSocketTerminal`` has no address parameter and listens on all interfaces. Renode starts with
a private ``TMPDIR`` (at start it deletes other processes' ``$TMPDIR/renode-*``), without GUI, with its
monitor on its own stdin (``--console``, a pipe we hold): no port is opened.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from m7amp.errors import M7Error
from m7amp.hostlink import HostLinkClient, HostLinkTimeoutError, Stream
from m7amp.playback import PlayResult
from m7amp.targets._hostlink_target import DEFAULT_BLOCK, HostLinkTarget
from m7amp.targets.base import Progress

REPO = Path(__file__).resolve().parents[2]
RESC = REPO / "renode" / "m7amp.resc"
PTY_NAME = "usart3"
UART_FILE = "usart3.txt"

# The oldest Renode the project runs on, and why (docs/renode.md "Versions").
MIN_VERSION = (1, 16, 1)
MIN_VERSION_REASON = ("the f32 engine's fminf compiles to VMINNM, an FPv5 instruction Renode's Cortex-M "
                      "core executes only from 1.16.1 (older ones raise UsageFault UNDEFINSTR)")
VERSION_TIMEOUT = 30.0  # seconds for `renode --version` (Mono's start-up on a loaded machine)
QUIT_TIMEOUT = 10.0

_VERSION = re.compile(r"Renode,?\s+v(?:ersion\s+)?(\d+)\.(\d+)\.(\d+)")
_EXIT = re.compile(r"m7_exit\((-?\d+)\)")
_FAULT = re.compile(r"^M7AMP FAULT \w", re.M)
_SCRIPT_ERROR = "There was an error executing command"
_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d+ \[(\w+)\] ")
_PROMPT = re.compile(r"^\([\w-]+\) ")
_versions: dict[tuple[str, float], tuple[int, int, int]] = {}


def find_renode(renode: str | None = None) -> str:
    """The Renode launcher: ``renode`` if given (a path or a name on PATH), else ``$RENODE``, else
    ``renode`` on PATH."""
    env = os.environ.get("RENODE") or None
    path = shutil.which(renode or env or "renode")
    if path is None:
        if renode:
            where = f"{renode!r} was not found"
        elif env:
            where = f"RENODE={env!r} was not found"
        else:
            where = "no `renode` on PATH and RENODE is not set"
        raise M7Error(f"Renode is not available ({where}): install Renode >= {_dotted(MIN_VERSION)} "
                      "(https://renode.io, or the releases of github.com/renode/renode), or give its path "
                      "(--renode PATH, renode=PATH or RENODE=PATH)")
    return path


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def renode_version(exe: str) -> tuple[int, int, int]:
    """(major, minor, patch) from ``exe --version`` (cached per file and modification time)."""
    key = (os.path.realpath(exe), os.path.getmtime(exe))
    if key in _versions:
        return _versions[key]
    with tempfile.TemporaryDirectory(prefix="m7amp-renode-") as tmp:
        try:
            out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT,
                                 env={**os.environ, "TMPDIR": tmp}, cwd=tmp, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise M7Error(f"{exe} --version did not answer within {VERSION_TIMEOUT:g} s") from None
        except OSError as exc:
            raise M7Error(f"cannot run {exe}: {exc.strerror}") from None
    text = (out.stdout + out.stderr).strip()
    m = _VERSION.search(text)
    if m is None:
        first = text.splitlines()[0] if text else "nothing"
        raise M7Error(f"{exe} --version printed no Renode version (exit {out.returncode}: {first})")
    version = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    _versions[key] = version
    return version


def check_renode(renode: str | None = None) -> str:
    """``find_renode``, then refuse a Renode older than ``MIN_VERSION`` in one line with the reason."""
    exe = find_renode(renode)
    version = renode_version(exe)
    if version < MIN_VERSION:
        raise M7Error(f"Renode {_dotted(version)} ({exe}) is too old: m7amp needs Renode >= "
                      f"{_dotted(MIN_VERSION)}, because {MIN_VERSION_REASON}")
    return exe


def renode_command(renode: str, elf: Path, *, uart: Literal["pty", "file"], folder: Path,
                   commands: Sequence[str] = (), resc: Path = RESC) -> list[str]:
    """Renode without GUI, its monitor on stdin, running ``resc`` on ``elf``; USART3 on a pty or in a
    file in ``folder``; then ``commands`` (monitor commands), then ``start``."""
    if uart == "pty":
        attach = [f'emulation CreateUartPtyTerminal "usart3_term" "{folder / PTY_NAME}" true',
                  "connector Connect sysbus.usart3 usart3_term"]
    else:
        attach = [f"sysbus.usart3 CreateFileBackend @{folder / UART_FILE} true"]
    script = [f"set bin @{Path(elf).resolve()}", f"include @{resc}", *attach, *commands, "start"]
    return [renode, "--disable-xwt", "--console", "--plain", *(a for c in script for a in ("-e", c))]


class RenodeSession:
    """One Renode process running ``renode/m7amp.resc`` on a firmware ELF.

    ``start()`` launches it (after ``check_renode``) in a private folder: ``TMPDIR``, ``renode.log``
    (Renode's console output) and USART3 (``usart3`` pty or ``usart3.txt``). ``poll()`` reads the new log
    lines and raises ``M7Error`` on what ends a run badly; ``wait_exit()`` waits for ``m7_exit``. Extra
    monitor ``commands`` run after the script and before ``start`` (e.g. to include a C# model and set
    its files). Use as a context manager, or call ``stop()``."""

    def __init__(self, renode: str | None = None, *, startup_timeout: float = 60.0):
        self.renode = renode
        self.startup_timeout = float(startup_timeout)
        self.exit_status: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._log_pos = 0
        self._partial = ""
        self._lines: list[str] = []

    @property
    def folder(self) -> Path:
        if self._tmp is None:
            raise M7Error("renode: not started")
        return Path(self._tmp.name)

    @property
    def log_path(self) -> Path:
        return self.folder / "renode.log"

    @property
    def pty(self) -> Path:
        return self.folder / PTY_NAME

    @property
    def uart_path(self) -> Path:
        return self.folder / UART_FILE

    def start(self, elf: Path, *, uart: Literal["pty", "file"] = "file",
              commands: Sequence[str] | Callable[[Path], Sequence[str]] = (), resc: Path = RESC) -> None:
        """Start Renode on ``elf``. ``commands`` (or a function of the session's folder giving them, for
        files the models write there) run after the script and before ``start``."""
        elf = Path(elf)
        if not elf.is_file():
            raise M7Error(f"{elf}: no such firmware ELF")
        exe = check_renode(self.renode)
        self.stop()
        self._tmp = tempfile.TemporaryDirectory(prefix="m7amp-renode-")
        (self.folder / "tmp").mkdir()
        self.exit_status, self._log_pos, self._partial, self._lines = None, 0, "", []
        env = {**os.environ, "TMPDIR": str(self.folder / "tmp")}
        if callable(commands):
            commands = commands(self.folder)
        cmd = renode_command(exe, elf, uart=uart, folder=self.folder, commands=commands, resc=resc)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                         env=env, cwd=self.folder)
        if uart == "pty":
            self.wait_until(lambda: self.pty.exists() or self.exit_status is not None, self.startup_timeout,
                       "create USART3's pty")

    def poll(self) -> None:
        """Read Renode's new log lines; raise ``M7Error`` if Renode reported an error or exited."""
        if self.proc is None:
            raise M7Error("renode: not started")
        exited = self.proc.poll() is not None
        start = len(self._lines)
        self._read_log()
        for i in range(start, len(self._lines)):
            line = _PROMPT.sub("", self._lines[i], count=1)  # a log line may follow the monitor's prompt
            if _SCRIPT_ERROR in line:
                time.sleep(0.2)  # the message follows on the next lines
                self._read_log()
                raise M7Error(f"renode: {self._script_error(i)}")
            level = _LOG_LINE.match(line)
            if level and level.group(1) == "ERROR":
                raise M7Error(f"renode: {line[level.end():].strip()}")
            m = _EXIT.search(line)
            if m and level and self.exit_status is None:
                self.exit_status = int(m.group(1))
        if exited and self.exit_status is None:
            raise M7Error(f"renode exited with status {self.proc.returncode} before the firmware stopped: "
                          f"{self.log_tail()}")

    def _read_log(self) -> None:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_pos)
                data = f.read()
        except OSError:
            return
        self._log_pos += len(data)
        text = self._partial + data.decode("utf-8", errors="replace")
        *lines, self._partial = text.split("\n")
        self._lines.extend(ln.rstrip("\r") for ln in lines)

    def _script_error(self, i: int) -> str:
        """Renode's message for the (first, innermost) failed command at line ``i``, on one line."""
        command = self._lines[i].split(_SCRIPT_ERROR, 1)[1].strip().strip("'")
        message = []
        for line in [*self._lines[i + 1:], self._partial]:
            if _SCRIPT_ERROR in line or _PROMPT.match(line) or _LOG_LINE.match(line):
                break
            if line.strip() not in ("", "^"):  # "^" marks the column under the quoted .repl line
                message.append(line.strip())
        return f"{command!r} failed: {' '.join(message)[:600] or '(no message)'}"

    def log_tail(self, n: int = 4) -> str:
        """The last ``n`` non-empty lines of Renode's log, on one line."""
        self._read_log()
        lines = [ln.strip() for ln in [*self._lines, self._partial] if ln.strip()]
        return " | ".join(lines[-n:]) or "(empty log)"

    def uart_text(self) -> str:
        """What the firmware wrote to USART3 (file mode)."""
        try:
            return self.uart_path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def wait_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        """``poll()`` until ``done()``; past ``timeout`` host seconds, one line naming ``what`` and the tail
        of Renode's log."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if done():
                return
            if time.monotonic() > deadline:
                raise M7Error(f"renode did not {what} within {timeout:g} s; Renode's log ends: "
                              f"{self.log_tail()}")
            time.sleep(0.05)

    def command(self, line: str) -> None:
        """Send one monitor command to Renode's console (e.g. ``sysbus.usart3 WriteChar 0x69``)."""
        if self.proc is None or self.proc.stdin is None:
            raise M7Error("renode: not started")
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def wait_uart(self, text: str, timeout: float) -> None:
        """Wait until ``text`` appears in USART3's output (file mode)."""
        self.wait_until(lambda: text in self.uart_text(), timeout, f"see {text!r} on USART3")

    def wait_exit(self, timeout: float) -> int:
        """Wait until the firmware calls ``m7_exit``; return its status. A fault (status 3 with the
        firmware's "M7AMP FAULT" dump on USART3, file mode) raises ``M7Error`` with the dump."""
        self.wait_until(lambda: self.exit_status is not None, timeout, "see the firmware stop (m7_exit)")
        assert self.exit_status is not None
        fault = fault_dump(self.uart_text())
        if fault:
            raise M7Error(f"firmware fault in Renode: {fault}")
        return self.exit_status

    def stop(self) -> None:
        """Quit Renode (``quit`` on its console; killed if it does not go) and remove the folder."""
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    assert self.proc.stdin is not None
                    self.proc.stdin.write(b"quit\n")
                    self.proc.stdin.close()
                    self.proc.wait(timeout=QUIT_TIMEOUT)
                except (OSError, subprocess.TimeoutExpired):
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> RenodeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def fault_dump(uart: str) -> str | None:
    """The firmware's fault report (firmware/board/faults.c) in USART3 text, on one line; None if none."""
    m = _FAULT.search(uart)
    if m is None:
        return None
    lines = [ln.strip() for ln in uart[m.start():].splitlines() if ln.strip()]
    return "; ".join(lines[:8])


def run_elf(elf: Path, *, renode: str | None = None, timeout: float = 120.0,
            commands: Sequence[str] = ()) -> tuple[int, str]:
    """Run ``elf`` in Renode until it calls ``m7_exit``: (exit status, USART3 text)."""
    with RenodeSession(renode) as session:
        session.start(elf, uart="file", commands=commands)
        status = session.wait_exit(timeout)
        return status, session.uart_text()


class _SessionStream:
    """The pty as a host-link stream that also watches Renode: a script error, Renode's exit or the
    firmware stopping (a fault) ends a read with an ``M7Error`` at once instead of a reply timeout."""

    def __init__(self, port: Stream, session: RenodeSession):
        self.port, self.session = port, session
        self.seen = bytearray()

    def read(self, n: int) -> bytes:
        data = self.port.read(n)
        self.seen += data
        del self.seen[:-8192]
        if not data:
            self.session.poll()
            if self.session.exit_status is not None:
                self.seen += self.port.read(4096)
                text = self.seen.decode("utf-8", errors="replace")
                report = fault_dump(text) or "no fault report on USART3"
                status = self.session.exit_status
                raise M7Error(f"firmware stopped in Renode with m7_exit({status}): {report}")
        return data

    def write(self, data: bytes) -> object:
        return self.port.write(data)

    def close(self) -> None:
        close = getattr(self.port, "close", None)
        if close is not None:
            close()


class RenodeTarget(HostLinkTarget):
    """Renode running the ``hostlink`` firmware.

    ``renode``: the executable (default ``$RENODE``, else ``renode`` on PATH); ``startup_timeout``:
    seconds to wait for Renode to create the USART3 pty; ``baud`` only sets the host side of the pty
    (Renode's UART has no baud timing)."""

    name = "renode"

    def __init__(self, *, renode: str | None = None, block_size: int = DEFAULT_BLOCK, timeout: float = 60.0,
                 startup_timeout: float = 60.0, baud: int = 921_600):
        super().__init__(block_size=block_size, timeout=timeout)
        self.renode = renode
        self.startup_timeout = float(startup_timeout)
        self.baud = int(baud)
        self.session = RenodeSession(renode, startup_timeout=self.startup_timeout)

    @classmethod
    def unavailable_reason(cls, *, renode: str | None = None, **options: object) -> str | None:
        try:
            check_renode(renode)
        except M7Error as exc:
            return str(exc)
        return None

    @property
    def pty(self) -> Path:
        return self.session.pty

    def load(self, elf: Path) -> None:
        self._close_stream()
        self.session.start(Path(elf), uart="pty")
        self.elf = Path(elf)

    def _open(self) -> Stream:
        import serial  # pyserial opens a pty like a serial port (raw mode)

        try:
            port = serial.Serial(str(self.pty), self.baud, timeout=0.05)
        except serial.SerialException as exc:
            raise M7Error(f"cannot open Renode's USART3 pty {self.pty}: {exc}") from exc
        return _SessionStream(port, self.session)

    def client(self) -> HostLinkClient:
        try:
            return super().client()
        except HostLinkTimeoutError as exc:
            raise M7Error(f"{exc}; Renode's log ends: {self.session.log_tail()}") from None

    def play(self, samples: np.ndarray, sample_rate: int, *, progress: Progress | None = None) -> PlayResult:
        try:
            return super().play(samples, sample_rate, progress=progress)
        except HostLinkTimeoutError as exc:
            raise M7Error(f"{exc}; Renode's log ends: {self.session.log_tail()}") from None

    def reset(self) -> None:
        """Restart Renode on the same ELF (a fresh machine: state, time and UART all from reset)."""
        if self.elf is None:
            raise M7Error("renode: load() a firmware ELF first")
        self.load(self.elf)

    def close(self) -> None:
        self._close_stream()
        self.session.stop()
