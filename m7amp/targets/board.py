"""The ``board`` backend: a Nucleo-F767ZI flashed with pyOCD or OpenOCD, spoken to over the ST-LINK
virtual COM port (USART3) with the host-link protocol (docs/hostlink.md, "On a board").

Nothing here runs without the hardware; the command lines, the port detection and the error messages
are unit-tested (tests/hostlink/test_targets.py).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from m7amp.errors import M7Error
from m7amp.hostlink import Stream
from m7amp.targets._hostlink_target import DEFAULT_BLOCK, HostLinkTarget

DEFAULT_BAUD = 921_600  # M7AMP_HOSTLINK_BAUD in firmware/CMakeLists.txt
PYOCD_TARGET = "stm32f767zi"
OPENOCD_BOARD = "board/st_nucleo_f7.cfg"
# USB ids of ST-LINK probes with a virtual COM port (VID 0x0483, STMicroelectronics): V2-1 (the
# Nucleo-F767ZI's), V2-1 without mass storage, and the STLINK-V3 variants.
STLINK_VID = 0x0483
STLINK_PIDS = frozenset({0x374B, 0x3752, 0x374E, 0x374F, 0x3753, 0x3754})
PROBES = ("pyocd", "openocd")


def find_stlink_port(ports: Iterable[Any], probe_id: str | None = None) -> str:
    """The device path of the one ST-LINK virtual COM port among ``ports`` (pyserial ``ListPortInfo``s:
    ``device``, ``vid``, ``pid``, ``serial_number``), or the one whose USB serial is ``probe_id``."""
    found = [p for p in ports if p.vid == STLINK_VID and p.pid in STLINK_PIDS]
    if probe_id is not None:
        found = [p for p in found if (p.serial_number or "").lower() == probe_id.lower()]
    if not found:
        which = f" with serial number {probe_id}" if probe_id else ""
        raise M7Error(f"no ST-LINK virtual COM port{which} found: connect the Nucleo board by its ST-LINK "
                      "USB connector, or give the port (e.g. port='/dev/ttyACM0')")
    if len(found) > 1:
        listed = ", ".join(f"{p.device} ({p.serial_number})" for p in found)
        raise M7Error(f"several ST-LINK ports found ({listed}): choose one with port=... or probe_id=...")
    return str(found[0].device)


def _pyocd_base() -> list[str]:
    """How to run pyOCD: the module in this Python if installed, else a `pyocd` on PATH."""
    if importlib.util.find_spec("pyocd") is not None:
        return [sys.executable, "-m", "pyocd"]
    if shutil.which("pyocd"):
        return ["pyocd"]
    raise M7Error("pyOCD is not installed: run `pip install pyocd` (or flash with the openocd probe)")


def _openocd_base() -> list[str]:
    if shutil.which("openocd") is None:
        raise M7Error("openocd is not on PATH: install it (Debian: `apt-get install openocd`) or flash "
                      "with the pyocd probe")
    return ["openocd", "-f", OPENOCD_BOARD]


def flash_command(probe: str, elf: Path, probe_id: str | None = None) -> list[str]:
    """The command that programs ``elf`` and lets the board run it from reset."""
    if probe == "pyocd":
        uid = ["-u", probe_id] if probe_id else []
        return [*_pyocd_base(), "flash", "-t", PYOCD_TARGET, *uid, str(elf)]
    if probe == "openocd":
        serial = ["-c", f"adapter serial {probe_id}"] if probe_id else []
        return [*_openocd_base(), *serial, "-c", f"program {{{elf}}} verify reset exit"]
    raise M7Error(f"unknown probe {probe!r}: choose one of {', '.join(PROBES)}")


def reset_command(probe: str, probe_id: str | None = None) -> list[str]:
    """The command that resets the board (the firmware restarts; the engine state is lost)."""
    if probe == "pyocd":
        return [*_pyocd_base(), "reset", "-t", PYOCD_TARGET, *(["-u", probe_id] if probe_id else [])]
    if probe == "openocd":
        serial = ["-c", f"adapter serial {probe_id}"] if probe_id else []
        return [*_openocd_base(), *serial, "-c", "init", "-c", "reset run", "-c", "shutdown"]
    raise M7Error(f"unknown probe {probe!r}: choose one of {', '.join(PROBES)}")


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        detail = " | ".join(tail) or f"exit {proc.returncode}"
        raise M7Error(f"{what} failed ({' '.join(cmd[:3])} ...): {detail}")


class BoardTarget(HostLinkTarget):
    """A Nucleo-F767ZI running the ``hostlink`` firmware.

    ``port``: the serial device (default: the ST-LINK virtual COM port, found by USB id); ``baud``: the
    firmware's USART3 rate; ``probe``: ``pyocd`` or ``openocd``; ``probe_id``: the ST-LINK's serial
    number when several are connected."""

    name = "board"

    def __init__(self, *, port: str | None = None, baud: int = DEFAULT_BAUD, probe: str = "pyocd",
                 probe_id: str | None = None, block_size: int = DEFAULT_BLOCK, timeout: float = 10.0):
        super().__init__(block_size=block_size, timeout=timeout)
        if probe not in PROBES:
            raise M7Error(f"unknown probe {probe!r}: choose one of {', '.join(PROBES)}")
        self.port, self.baud, self.probe, self.probe_id = port, int(baud), probe, probe_id

    def load(self, elf: Path) -> None:
        elf = Path(elf)
        if not elf.is_file():
            raise M7Error(f"{elf}: no such firmware ELF")
        self._close_stream()
        _run(flash_command(self.probe, elf, self.probe_id), f"flashing {elf.name} with {self.probe}")
        self.elf = elf

    def reset(self) -> None:
        self._close_stream()
        _run(reset_command(self.probe, self.probe_id), f"resetting the board with {self.probe}")

    def _open(self) -> Stream:
        import serial  # pyserial: a dependency, imported here to keep `import m7amp.targets` light
        from serial.tools import list_ports

        port = self.port or find_stlink_port(list_ports.comports(), self.probe_id)
        try:
            stream = serial.Serial(port, self.baud, timeout=0.05)
        except serial.SerialException as exc:
            raise M7Error(f"cannot open {port}: {exc}") from exc
        stream.reset_input_buffer()
        return stream
