"""The tflm engine (issue 7) without running TFLM: the tree lookup, the op list given to TFLM's
resolver, and the configure step with and without a tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from m7amp.errors import M7Error
from m7amp.package import DEFAULT_PACKAGE
from m7amp.tflm import ENV_VAR, resolver_methods, skip_reason, stream_model, tflm_dir
from tests._skips import requires_arm_gcc
from tests.engines._engine import REPO

TOOLCHAIN = REPO / "cmake" / "arm-none-eabi.cmake"


def test_tflm_dir_needs_a_tree(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(M7Error, match=ENV_VAR):
        tflm_dir()
    assert skip_reason() is not None and skip_reason().startswith("tflm engine skipped")
    with pytest.raises(M7Error, match="not a TFLM tree"):
        tflm_dir(tmp_path)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(M7Error, match="not a TFLM tree"):
        tflm_dir()
    marker = tmp_path / "tensorflow" / "lite" / "micro" / "micro_interpreter.h"
    marker.parent.mkdir(parents=True)
    marker.write_text("")
    assert tflm_dir() == tmp_path.resolve() and skip_reason() is None
    assert tflm_dir(str(tmp_path)) == tmp_path.resolve()  # the CLI option wins over the environment


def test_resolver_methods_of_nano() -> None:
    """One MicroMutableOpResolver name per TFLite op of the model, with the resource-variable ops."""
    from m7amp.export._tflite import tflite_ops

    for precision in ("f32", "q15"):
        model = stream_model(DEFAULT_PACKAGE, precision).read_bytes()
        methods, ops = resolver_methods(model), tflite_ops(model)
        assert len(methods) == len(ops)
        resource_ops = {"CallOnce", "VarHandle", "ReadVariable", "AssignVariable"}
        assert {"Add", "Conv2D", "Tanh"} | resource_ops <= set(methods)
        assert [m.upper() for m in methods] == [op.replace("_", "") for op in ops]
    assert stream_model(DEFAULT_PACKAGE, "q15").name == "model_stream_int8.tflite"


def _configure(build: Path, *defines: str) -> subprocess.CompletedProcess:
    cmd = ["cmake", "-S", str(REPO), "-B", str(build), f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}", *defines]
    return subprocess.run(cmd, capture_output=True, text=True)


@requires_arm_gcc
def test_configure_without_tree_skips_in_one_line(tmp_path: Path) -> None:
    proc = _configure(tmp_path / "b")
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if "tflm" in ln]
    skipped = "-- tflm engine skipped: M7AMP_TFLM_DIR is not set (a TFLM tree from create_tflm_tree.py)"
    assert lines == [skipped]
    # Asking for the tflm engine without a tree, or for an unknown engine, stops the configure step.
    proc = _configure(tmp_path / "c", "-DM7AMP_ENGINE=tflm")
    assert proc.returncode != 0 and "M7AMP_ENGINE=tflm needs M7AMP_TFLM_DIR" in proc.stderr
    proc = _configure(tmp_path / "d", "-DM7AMP_ENGINE=other")
    assert proc.returncode != 0 and "M7AMP_ENGINE must be cmsis or tflm" in proc.stderr


@requires_arm_gcc
def test_configure_with_a_non_tree_fails(tmp_path: Path) -> None:
    proc = _configure(tmp_path / "b", f"-DM7AMP_TFLM_DIR={tmp_path}")
    assert proc.returncode != 0 and "is not a TFLM tree" in proc.stderr


def test_ratio_column_is_tflm_over_cmsis_of_the_same_preset_and_precision() -> None:
    from m7amp.bench import add_cmsis_ratios, format_engine_table

    def row(engine: str, preset: str, precision: str, cycles: float | None) -> dict:
        figures = {"cycles_per_sample": cycles, "cycles_per_mac": 1.0, "load_44k1": 1.0, "load_48k": 1.0,
                   "flash_bytes": 1, "ram_bytes": 1}
        base = {"engine": engine, "preset": preset, "precision": precision, "macs_per_sample": 10}
        return base | (figures if cycles else {"error": "model x does not fit: region SRAM1 ..."})

    rows = [row("tflm", "nano", "f32", 53000.0), row("cmsis", "nano", "f32", 3000.0),
            row("tflm", "nano", "q15", 59000.0), row("cmsis", "nano", "q15", 5000.0),
            row("tflm", "big", "f32", None), row("tflm", "lone", "f32", 100.0)]
    add_cmsis_ratios(rows)
    assert [r.get("vs_cmsis") for r in rows] == [17.67, None, 11.8, None, None, None]
    lines = format_engine_table(rows).splitlines()
    ratio_column = [line.split("  does not fit in real time")[0] for line in lines]  # the note follows it
    assert lines[0].endswith("x cmsis") and ratio_column[1].endswith("17.67x")
    assert ratio_column[3].endswith("11.80x")
    assert lines[5].endswith("model x does not fit: region SRAM1 ...")


def test_build_firmware_refuses_what_the_tflm_engine_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from m7amp.targets import build_firmware

    with pytest.raises(M7Error, match=r"unknown engine 'other' \(available: cmsis, tflm\)"):
        build_firmware("audio", engine="other")
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(M7Error, match="the tflm engine needs a TFLM tree"):
        build_firmware("audio", engine="tflm")
