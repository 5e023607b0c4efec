"""Options and fixtures shared by the whole test tree: which target the WAV-driven tests run on.

``pytest --target sim|renode|board`` (default sim) picks the backend; ``--target-option KEY=VALUE``
passes constructor options to it (e.g. ``port=/dev/ttyACM0``). A backend that cannot run here skips the
tests that use it, with its reason. See docs/targets.md.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from m7amp.targets import (
    BACKENDS,
    DEFAULT_PRECISION,
    DEFAULT_TARGET,
    Target,
    TargetUnavailableError,
    build_firmware,
    get_target,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("m7amp")
    group.addoption("--target", default=DEFAULT_TARGET, choices=sorted(BACKENDS),
                    help=f"where WAV-driven tests run the firmware (default {DEFAULT_TARGET})")
    group.addoption("--target-option", action="append", default=[], metavar="KEY=VALUE",
                    help="constructor option for the target backend (repeatable)")
    group.addoption("--precision", default=DEFAULT_PRECISION, choices=("f32", "q15"),
                    help=f"engine precision of the firmware the target runs (default {DEFAULT_PRECISION})")


def _options(config: pytest.Config) -> dict[str, object]:
    options: dict[str, object] = {}
    for item in config.getoption("--target-option"):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise pytest.UsageError(f"--target-option expects KEY=VALUE, got {item!r}")
        options[key] = value
    return options


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The chosen backend with the default model package's firmware loaded (skips if it cannot run)."""
    name = request.config.getoption("--target")
    try:
        backend = get_target(name, **_options(request.config))
    except TargetUnavailableError as exc:
        pytest.skip(str(exc))
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (run `make test`)")
    with backend:
        backend.load(build_firmware(backend.app, precision=request.config.getoption("--precision")))
        yield backend


@pytest.fixture(scope="session")
def precision(request: pytest.FixtureRequest) -> str:
    """The engine precision the ``target`` fixture's firmware was built with (``--precision``)."""
    return request.config.getoption("--precision")
