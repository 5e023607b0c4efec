"""Fixtures for the host-link tests: the protocol C code built for the host and served over a
pseudo-terminal, and the ``hostlink`` firmware in the simulator, each behind a ``HostLinkClient``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from m7amp.hostlink import FdStream, HostLinkClient
from tests._skips import REPO

PACKAGE = REPO / "training" / "default"
META = json.loads((PACKAGE / "metadata.json").read_text())
MODEL = META["name"]
HOSTLINK_DIR = REPO / "firmware" / "app" / "hostlink"
APP_COMMON_DIR = REPO / "firmware" / "app" / "common"
ENGINE_DIR = REPO / "firmware" / "engines" / "cmsis"
HOST_TIMEOUT_MS = 150  # the host server's inter-byte timeout


def model_defines(precision: str) -> list[str]:
    """The compile definitions m7_add_engine_app gives an engine app (firmware/CMakeLists.txt)."""
    sym = f"{MODEL}_{precision}"
    return [f'-DM7AMP_MODEL_HEADER="{sym}.h"', f"-DM7AMP_MODEL_DESC={sym}",
            f"-DM7AMP_MODEL_PREFIX={sym.upper()}", f"-DM7AMP_MODEL_NAME={MODEL}",
            f"-DM7AMP_MODEL_Q15={int(precision == 'q15')}", "-DM7AMP_APP_MAX_BLOCK=256u"]


@pytest.fixture(scope="session")
def host_server(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """precision -> the host build of tests/hostlink/host_server.c (protocol + engine + model)."""
    if shutil.which("cc") is None:
        pytest.skip("no host C compiler (cc)")
    out = tmp_path_factory.mktemp("hostlink-host")
    built: dict[str, Path] = {}

    def get(precision: str) -> Path:
        if precision not in built:
            exe = out / f"host_server_{precision}"
            cmd = ["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", *model_defines(precision),
                   "-I", str(HOSTLINK_DIR), "-I", str(APP_COMMON_DIR), "-I", str(ENGINE_DIR / "include"),
                   "-I", str(PACKAGE / "c"),
                   str(REPO / "tests" / "hostlink" / "host_server.c"), str(HOSTLINK_DIR / "m7_hostlink.c"),
                   str(HOSTLINK_DIR / "hl_engine.c"), str(APP_COMMON_DIR / "m7_app_engine.c"),
                   *map(str, sorted((ENGINE_DIR / "src").glob("*.c"))),
                   str(PACKAGE / "c" / f"{MODEL}_{precision}.c"), "-o", str(exe), "-lm"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
            built[precision] = exe
        return built[precision]

    return get


class PtyServer:
    """The host server running on the slave side of a pseudo-terminal; ``client`` on the master side."""

    def __init__(self, exe: Path):
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.proc = subprocess.Popen([str(exe), str(HOST_TIMEOUT_MS)], stdin=slave, stdout=slave,
                                     stderr=subprocess.PIPE)
        os.close(slave)
        self.stream = FdStream(self.master)
        self.client = HostLinkClient(self.stream, timeout=5.0)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)


@pytest.fixture
def pty_server(host_server: Callable[[str], Path]) -> Iterator[Callable[[str], PtyServer]]:
    """precision -> a fresh PtyServer (closed after the test)."""
    servers: list[PtyServer] = []

    def start(precision: str = "f32") -> PtyServer:
        servers.append(PtyServer(host_server(precision)))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
