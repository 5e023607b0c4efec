"""The target registry: names, unavailable backends, the sim backend's contract checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from m7amp.errors import M7Error
from m7amp.targets import BACKENDS, Target, TargetUnavailableError, build_firmware, get_target, target_class
from m7amp.targets.sim import SimTarget


def test_unknown_target_names_the_known_ones():
    with pytest.raises(M7Error, match="unknown target 'qemu'; known: sim, renode, board"):
        get_target("qemu")


def test_every_backend_is_a_target_or_unavailable_with_a_reason():
    for name in BACKENDS:
        try:
            cls = target_class(name)
        except TargetUnavailableError as exc:
            assert name in str(exc)
            continue
        assert issubclass(cls, Target) and cls.name == name and cls.app in ("audio", "hostlink")


def test_unavailable_reason_stops_construction(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(SimTarget, "unavailable_reason", classmethod(lambda cls, **o: "no simulator today"))
    with pytest.raises(TargetUnavailableError, match="target sim: no simulator today"):
        get_target("sim")


def test_sim_target_needs_a_loaded_existing_elf(tmp_path: Path):
    sim = SimTarget()
    with pytest.raises(M7Error, match="no firmware loaded"):
        sim.play(np.zeros(32, np.float32), 48_000)
    with pytest.raises(M7Error, match="firmware not found"):
        sim.load(tmp_path / "missing.elf")


def test_host_link_backends_say_why_they_cannot_run(tmp_path: Path):
    from m7amp.targets.board import BoardTarget
    from m7amp.targets.renode import RenodeTarget

    assert "Renode is not available" in RenodeTarget.unavailable_reason(renode=str(tmp_path / "no-renode"))
    assert "unknown probe 'jtag'" in BoardTarget.unavailable_reason(probe="jtag")
    with pytest.raises(TargetUnavailableError, match="target renode: Renode is not available"):
        get_target("renode", renode=str(tmp_path / "no-renode"))


@pytest.mark.parametrize(("options", "message"), [
    ({"block": 12}, "multiple of 8 in 8..1024"), ({"block": 2048}, "multiple of 8 in 8..1024"),
    ({"block": 0}, "multiple of 8 in 8..1024"), ({"slow": -1}, "0 or more"),
])
def test_audio_build_options_outside_the_firmware_limits_are_refused_before_compiling(options, message):
    with pytest.raises(M7Error, match=message):
        build_firmware("audio", **options)
