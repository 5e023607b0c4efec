"""One training run end to end: the run folder, config copies, training, data.npz, run.json, report.

Run folder rules (``--out``):
- does not exist, or is an empty folder: it becomes the run folder;
- holds a run (``checkpoint/`` or ``run.json``): refused unless ``--resume``, which continues an
  interrupted run, or a finished one that did not stop early when ``--epochs`` is larger than the
  epochs it trained (its model, report and run.json are then replaced);
- any other folder is a parent: the run goes to ``<out>/<model>-<YYYYmmdd-HHMMSS>``.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from m7amp import metrics
from m7amp.data import Dataset, load_dataset, load_manifest, synthetic_dataset
from m7amp.errors import M7Error
from m7amp.training import _toml
from m7amp.training._config import TrainConfig, load_train_config, train_config_from_dict
from m7amp.training._distill import DistillSpec, check_teacher, load_di

ARGS_FILE = "run_args.json"  # in checkpoint/: what a resume needs to rebuild data, model and config


def _is_run(path: Path) -> bool:
    return (path / "checkpoint").is_dir() or (path / "run.json").is_file()


def resolve_run_dir(out: str | Path, model_name: str, resume: bool) -> Path:
    """The run folder for ``--out`` (see the module doc); raises ``M7Error`` when it must not be used."""
    out = Path(out)
    if resume:
        if not (out / "checkpoint" / "state.json").is_file():
            raise M7Error(f"--resume: no checkpoint in {out} (expected {out / 'checkpoint' / 'state.json'})")
        return out
    if out.exists() and not out.is_dir():
        raise M7Error(f"--out {out} exists and is not a folder")
    if _is_run(out):
        what = "a finished run" if (out / "run.json").is_file() else "an unfinished run"
        raise M7Error(f"{out} holds {what}: pass --resume to continue it or choose another --out")
    if out.is_dir() and any(out.iterdir()):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = out / f"{model_name}-{stamp}"
        if out.exists():
            raise M7Error(f"{out} already exists: wait a second or choose another --out")
    return out


def dataset_from_spec(spec: dict[str, Any]) -> Dataset:
    """Build the dataset a run was started with (``spec`` as stored in ``run_args.json``)."""
    if "synthetic" in spec:
        s = spec["synthetic"]
        return synthetic_dataset(s["seconds"], s.get("knob_values"), s.get("seed", 0),
                                 s.get("sample_rate", 48000))
    return load_dataset(load_manifest(spec["manifest"], spec.get("data_root")))


def _resume_data(run_dir: Path, saved: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    """The data spec a resume uses: the recorded one, or ``given`` (``--data``) when it names a manifest
    with the same contents as the run's copy (``data.toml``): a moved manifest."""
    recorded = saved["data"]
    if given is None or "manifest" not in given:
        if "manifest" in recorded and not Path(recorded["manifest"]).is_file():
            raise M7Error(f"{run_dir}: its training manifest {recorded['manifest']} is missing (moved or "
                          f"deleted); resume with --data MANIFEST (the same contents as {run_dir}/data.toml)")
        return recorded
    copy = run_dir / "data.toml"
    if copy.is_file() and Path(given["manifest"]).read_bytes() != copy.read_bytes():
        raise M7Error(f"--data {given['manifest']} differs from the manifest {run_dir} trained on "
                      f"({run_dir}/data.toml): a resume must use the same data")
    return _absolute({"manifest": given["manifest"],
                      "data_root": given.get("data_root") or recorded.get("data_root")})


def run_training(data_spec: dict[str, Any] | None, model_config: Any, train_config: TrainConfig | None,
                 out: str | Path, *, resume: bool = False, epochs: int | None = None,
                 config_text: str | None = None, progress: bool | None = None, command: str = "",
                 distill: DistillSpec | None = None) -> Path:
    """Train and write a complete run folder; returns its path.

    ``data_spec`` is ``{"synthetic": {"seconds", "knob_values", "seed", "sample_rate"}}`` or
    ``{"manifest": path, "data_root": path | None}``. With ``resume``, the data, model and learning
    config come from the run folder (the arguments are ignored, except a ``data_spec`` manifest with the
    same contents as the run's ``data.toml``: where a moved manifest now is) and ``epochs``, if given,
    replaces the maximum number of epochs. ``distill`` (a teacher run and extra DI) adds distilled
    segments to the training data (:mod:`m7amp.training._distill`); a resumed run takes it from its folder.
    """
    from m7amp.models import config_from_dict, config_to_dict

    if resume:
        run_dir = resolve_run_dir(out, "", resume=True)
        saved = json.loads((run_dir / "checkpoint" / ARGS_FILE).read_text())
        model_config = config_from_dict(saved["model"])
        # the config of the last start (each start rewrites train.toml: a resumed --epochs N is kept there);
        # a larger budget re-plans the cosine
        toml = run_dir / "train.toml"
        cfg = load_train_config(toml) if toml.is_file() else train_config_from_dict(saved["train"], str(toml))
        extended = epochs is not None and epochs > cfg.epochs
        cfg = cfg.with_overrides(epochs=epochs)
        distill = DistillSpec.from_dict(saved["distill"]) if saved.get("distill") else None
        state = json.loads((run_dir / "checkpoint" / "state.json").read_text())
        if (run_dir / "run.json").is_file() and (state["stopped_early"] or state["epoch"] >= cfg.epochs):
            why = "stopped early" if state["stopped_early"] else f"trained {state['epoch']} epochs"
            hint = "start a new run" if state["stopped_early"] else "give a larger --epochs to continue it"
            raise M7Error(f"{run_dir} is a finished run ({why}): {hint}")
        data_spec = _resume_data(run_dir, saved, data_spec)
        dataset = dataset_from_spec(data_spec)
        if data_spec != saved["data"]:  # --data named the moved manifest: later resumes find it there
            saved["data"] = data_spec
            (run_dir / "checkpoint" / ARGS_FILE).write_text(json.dumps(saved, indent=1))
    else:
        extended = False
        if data_spec is None or model_config is None or train_config is None:
            raise M7Error("a new run needs data, a model config and a train config")
        dataset = dataset_from_spec(data_spec)  # data errors surface before any folder is made
        if distill is not None:
            check_teacher(distill.teacher, dataset)  # and teacher errors too
            load_di(distill, dataset)  # and DI errors (missing, unreadable, holding val/test audio)
        run_dir = resolve_run_dir(out, model_config.name, resume=False)
        cfg = train_config.with_overrides(epochs=epochs)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.toml").write_text(config_text or _toml.dumps(config_to_dict(model_config)))
        if "manifest" in data_spec:
            shutil.copyfile(data_spec["manifest"], run_dir / "data.toml")
        else:
            (run_dir / "data.toml").write_text("# built-in synthetic data (m7amp.data.synthetic_dataset)\n"
                                               + _toml.dumps(data_spec))
        (run_dir / "checkpoint").mkdir()
        saved = {"data": _absolute(data_spec), "model": config_to_dict(model_config),
                 "train": cfg.to_toml_dict(), "distill": distill.to_dict() if distill else None}
        (run_dir / "checkpoint" / ARGS_FILE).write_text(json.dumps(saved, indent=1))
    (run_dir / "train.toml").write_text(_toml.dumps(cfg.to_toml_dict()))

    from m7amp.training._report import write_report
    from m7amp.training._train import representative_data, run_summary, test_clip, train_model

    print(f"training {model_config.name} on {dataset.name} ({dataset.seconds('train'):.1f} s train, "
          f"{dataset.seconds('val'):.1f} s validation, {dataset.seconds('test'):.1f} s test at "
          f"{dataset.sample_rate} Hz) into {run_dir}", flush=True)
    result = train_model(dataset, model_config, cfg, run_dir, resume=resume, progress=progress,
                         distill=distill, restart_patience=extended)
    run = run_summary(model_config, dataset, cfg, result)
    if result["distill"] is not None:
        run["distill"] = result["distill"]

    test_x, test_y = test_clip(result["test_sequences"], dataset.sample_rate)
    np.savez(run_dir / "data.npz", rep_x=representative_data(dataset), test_x=test_x, test_y=test_y)
    (run_dir / "history.json").write_text(json.dumps(result["state"].history, indent=1))
    (run_dir / "run.json").write_text(json.dumps(run, indent=1))
    # the report shows the first test region (a continuous stretch of one pair)
    target = result["test_sequences"][0][1]
    pred = result["test_pred"][0]
    names = [p.name for p, _, _ in dataset.regions("test")]
    regions = [(n, y, p) for n, (_, y), p in zip(names, result["test_sequences"], result["test_pred"],
                                                   strict=True)]
    report = write_report(run_dir, run, result["state"].history, target, pred, command, regions)
    esr = run["test"]["esr"]
    print(f"test ESR {metrics.format_esr(esr)} ({metrics.esr_verdict(esr)}), pre-emphasised "
          f"{metrics.format_esr(run['test']['esr_pre'])}; report: {report}", flush=True)
    return run_dir


def _absolute(spec: dict[str, Any]) -> dict[str, Any]:
    spec = json.loads(json.dumps(spec))
    for key in ("manifest", "data_root"):
        if spec.get(key):
            spec[key] = str(Path(spec[key]).resolve())
    return spec

