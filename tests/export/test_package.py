"""`m7amp export`: the package layout and metadata, every variant measured, overwrite rules, errors."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from m7amp.cli import main
from m7amp.errors import M7Error
from tests.export.conftest import SR, TINY
from tests.models.test_models import keras_graph_macs

VARIANTS = {"keras", "c_f32", "c_q15", "f32", "int8", "16x8", "stream_f32", "stream_int8"}


@pytest.fixture(scope="module")
def full_package(run_dirs, tmp_path_factory):
    """The NAM fixture (one knob) exported with every TFLite variant, through the CLI."""
    out = tmp_path_factory.mktemp("full") / "pkg"
    code = main(["export", str(run_dirs["nam"]), "--out", str(out), "--block-size", "32"])
    return code, out, json.loads((out / "metadata.json").read_text())


def test_full_package_has_every_file_with_its_hash(full_package) -> None:
    code, out, meta = full_package
    assert code == 0
    assert meta["complete"] is True
    expected = {"model.keras", "model_f32.tflite", "model_int8.tflite", "model_16x8.tflite",
                "model_stream_f32.tflite", "model_stream_int8.tflite", "golden/input.npy",
                "golden/output.npy", "golden/target.npy", "c/m7_model.h", "c/tiny_nam_f32.c",
                "c/tiny_nam_f32.h", "c/tiny_nam_q15.c", "c/tiny_nam_q15.h"}
    assert set(meta["files"]) == expected
    for rel, info in meta["files"].items():
        data = (out / rel).read_bytes()
        assert info["sha256"] == hashlib.sha256(data).hexdigest()
        assert info["bytes"] == len(data)


def test_full_package_measures_every_variant(full_package, capsys) -> None:
    _, _, meta = full_package
    variants = meta["variants"]
    assert set(variants) == VARIANTS
    for name, v in variants.items():
        assert 0 <= v["esr_vs_keras"] < 1.0, name
        assert v["esr_vs_target"] > 0, name
    assert variants["keras"]["esr_vs_keras"] == 0
    assert variants["f32"]["esr_vs_keras"] < 1e-6
    assert variants["stream_f32"]["esr_vs_keras"] < 1e-6
    assert variants["c_f32"]["esr_vs_keras"] < 1e-10
    # the ops a TFLM resolver must register, and the streaming state, are recorded per TFLite variant
    assert "CONV_2D" in variants["f32"]["ops"]
    stream_ops = set(variants["stream_int8"]["ops"])
    assert {"CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"} <= stream_ops
    assert variants["stream_int8"]["io"]["input"]["dtype"] == "int8"
    assert variants["stream_f32"]["state_dtypes"]
    for name in VARIANTS:
        print(f"{name:12s} ESR vs Keras {variants[name]['esr_vs_keras']:.3g}")


def test_metadata_numbers_match_the_model(full_package) -> None:
    import keras

    from m7amp.models import receptive_field

    _, out, meta = full_package
    cfg, n_knobs = TINY["nam"]
    model = keras.models.load_model(out / "model.keras")
    assert meta["macs_per_sample"] == keras_graph_macs(model)
    assert meta["parameters"] == model.count_params()
    assert meta["receptive_field"] == receptive_field(cfg)
    assert meta["sample_rate"] == SR
    assert [k["name"] for k in meta["knobs"]] == ["knob0"]
    assert meta["block_size"] == 32
    gx, gy, gt = (np.load(out / "golden" / f"{n}.npy") for n in ("input", "output", "target"))
    assert gx.shape == (SR, 1 + n_knobs) and gx.dtype == np.float32  # 1 s by default
    assert gy.shape == gt.shape == (SR,)
    np.testing.assert_allclose(model.predict(gx[None], verbose=0)[0, :, 0], gy, rtol=0, atol=1e-6)
    mem = meta["memory"]
    assert mem["state_bytes_q15"] < mem["state_bytes_f32"]


def test_rnn_package_is_complete_without_the_unsupported_whole_clip_int8(run_dirs, tmp_path) -> None:
    from m7amp.export import export_package

    meta = export_package(run_dirs["gru"], tmp_path / "gru", block_size=16, progress=lambda _: None)
    assert meta["complete"] is True
    v = meta["variants"]
    assert "unsupported" in v["int8"] and "unsupported" in v["16x8"]
    assert v["f32"]["esr_vs_keras"] < 1e-6
    assert v["stream_f32"]["esr_vs_keras"] < 1e-6
    assert 0 < v["stream_int8"]["esr_vs_keras"] < 1.0
    assert (tmp_path / "gru" / "model_stream_int8.tflite").is_file()
    assert not (tmp_path / "gru" / "model_int8.tflite").exists()


def test_refuses_a_non_empty_directory_without_force(run_dirs, tmp_path, capsys) -> None:
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    args = ["export", str(run_dirs["gru"]), "--out", str(out), "--skip-tflite"]
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"  # only the package's own files are replaced
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["variants"]["int8"] == {"skipped": "--skip-tflite"}
    assert meta["complete"] is False


def test_an_unfinished_run_is_a_user_error(run_dirs, tmp_path) -> None:
    from m7amp.export import export_package

    with pytest.raises(M7Error, match="not a finished training run"):
        export_package(tmp_path, tmp_path / "out", tflite=False)
    with pytest.raises(M7Error, match="block"):
        export_package(run_dirs["lstm"], tmp_path / "out2", block_size=0, tflite=False)
