"""m7amp/preset_package.py: the packages `m7amp bench engine --preset` runs on (default package for nano,
others exported on demand into a cache and reused)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from m7amp.errors import M7Error
from m7amp.package import DEFAULT_PACKAGE
from m7amp.preset_package import SEED, exporter_stamp, preset_package


def test_nano_is_the_committed_default_package(tmp_path: Path) -> None:
    lines: list[str] = []
    assert preset_package("nano", lines.append, cache_dir=tmp_path) == DEFAULT_PACKAGE
    assert lines == [] and not any(tmp_path.iterdir())  # nothing exported


def test_unknown_preset() -> None:
    with pytest.raises(M7Error, match=r"unknown preset 'huge' \(known: nano, feather"):
        preset_package("huge")
    for bad in ("gru0", "lstm300", "Gru16"):  # RNN sizes are lstm<N> / gru<N>, N in 1..256, lower case
        with pytest.raises(M7Error, match=rf"unknown preset '{bad}' .*lstm<N>, gru<N>\)"):
            preset_package(bad)


def test_feather_is_exported_once_then_reused(tmp_path: Path) -> None:
    from m7amp.models import config_to_dict, load_config, macs_per_sample, state_floats

    lines: list[str] = []
    pkg = preset_package("feather", lines.append, cache_dir=tmp_path)
    assert pkg == tmp_path / "feather"
    assert any("exporting a freshly initialised feather" in line for line in lines)  # progress shown
    meta = json.loads((pkg / "metadata.json").read_text())
    cfg = load_config("feather")
    assert meta["name"] == "feather" and meta["config"] == config_to_dict(cfg)
    assert meta["macs_per_sample"] == macs_per_sample(cfg, 0)
    assert meta["memory"]["state_bytes_f32"] == 4 * state_floats(cfg)
    assert meta["training"]["seed"] == SEED and meta["training"]["epochs"] == 0
    assert (pkg / "c" / "feather_f32.c").is_file() and (pkg / "c" / "feather_q15.c").is_file()
    assert not (pkg / "model_f32.tflite").exists()  # C sources only
    # The C model matches Keras (an export check that holds for untrained weights too).
    assert meta["variants"]["c_f32"]["esr_vs_keras"] < 1e-7

    again: list[str] = []
    assert preset_package("feather", again.append, cache_dir=tmp_path) == pkg
    assert again == []  # reused, not exported again
    # ... while the exporter is the one that wrote it (a changed exporter may change the C format).
    assert (pkg / "bench-exporter.sha256").read_text() == exporter_stamp()
    (pkg / "bench-exporter.sha256").write_text("an older exporter")
    redone: list[str] = []
    assert preset_package("feather", redone.append, cache_dir=tmp_path) == pkg
    assert any("exporting" in line for line in redone)
    assert (pkg / "bench-exporter.sha256").read_text() == exporter_stamp()

    # A cached package whose config no longer matches the preset's TOML is exported again.
    meta["config"]["head_scale"] = 123.0
    (pkg / "metadata.json").write_text(json.dumps(meta))
    stale: list[str] = []
    assert preset_package("feather", stale.append, cache_dir=tmp_path) == pkg
    assert any("exporting" in line for line in stale)
    assert json.loads((pkg / "metadata.json").read_text())["config"] == config_to_dict(cfg)
