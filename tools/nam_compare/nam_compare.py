"""Train Neural Amp Modeler's own trainer (``nam-full``) on issue 14's JVM split and score it as m7amp does.

Run it with the separate NAM virtualenv, never the project's (NAM and PyTorch are not m7amp
dependencies; m7amp's own code is used only for ``m7amp.metrics``, which needs numpy alone):

    /work/namvenv/bin/python tools/nam_compare/nam_compare.py --preset feather --out /tmp/nam_compare

Steps: (1) write the JVM 410H B3_M7_T1 clips (the split of ``training/manifests/jvm-B3_M7_T1-val8.toml``:
files 1, 2, 3, 4, 5, 7 train, 8 validation, 9 test) as mono 16-bit WAVs under ``<out>/wav`` (the left
channel of the dual-mono originals, bit-exact, recorded alignment kept: NAM's ``delay`` is 0 as
m7amp's ``align = "report"``); (2) run ``nam-full`` with ``data.json`` (the train clips as one NAM
ConcatDataset, so no segment spans two clips), ``model_<preset>.json`` (NAM's A1 WaveNet nano or
feather) and ``learning.json`` (``--epochs`` overrides its ``max_epochs``), timing it; (3) load the
exported ``.nam`` (NAM exports its best-validation checkpoint) with NAM's loader, run NAM's forward
pass on clips 8 and 9 from silence and print the ESR after the first 4092 samples (the receptive field
minus one, m7amp's ``test`` warm-up) with ``m7amp.metrics.esr``, exactly as ``m7amp train`` scores
its test split. The audio stays outside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository, for m7amp.metrics (numpy only)
from m7amp import metrics  # noqa: E402

SETTING = "B3_M7_T1"
FILES = (1, 2, 3, 4, 5, 7, 8, 9)
WARMUP = 4092  # m7amp's test warm-up for the A1 WaveNets: receptive field (4093) minus one


def data_root() -> Path:
    shared = os.environ.get("M7AMP_SHARED_DATA", "/work/shared/data")
    root = Path(shared)
    if not (root / "marshall-jvm410h-greybox").is_dir():
        root = root / "data"
    folder = root / "marshall-jvm410h-greybox" / SETTING
    if not folder.is_dir():
        sys.exit(f"error: no JVM data at {folder} (set M7AMP_SHARED_DATA)")
    return folder


def read_left(path: Path) -> tuple[np.ndarray, int]:
    """The left channel of a 16-bit PCM WAV as int16, and its rate."""
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2:
            sys.exit(f"error: {path} is not 16-bit PCM")
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return frames.reshape(-1, w.getnchannels())[:, 0].copy(), w.getframerate()


def write_mono(path: Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def build_wavs(wav_dir: Path) -> None:
    src = data_root()
    wav_dir.mkdir(parents=True, exist_ok=True)
    for n in FILES:
        for suffix in ("_input", ""):
            x, rate = read_left(src / f"{SETTING}_G5_file_{n}{suffix}.wav")
            if rate != 44100:
                sys.exit(f"error: file {n} is {rate} Hz, expected 44100")
            write_mono(wav_dir / f"file_{n}{suffix}.wav", x, rate)


def write_configs(preset: str, epochs: int, wav_dir: Path, cfg_dir: Path) -> list[Path]:
    cfg_dir.mkdir(parents=True, exist_ok=True)
    data = (HERE / "data.json").read_text().replace("@WAV@", str(wav_dir))
    learning = json.loads((HERE / "learning.json").read_text())
    learning["trainer"]["max_epochs"] = epochs
    paths = [cfg_dir / "data.json", cfg_dir / "model.json", cfg_dir / "learning.json"]
    paths[0].write_text(data)
    shutil.copyfile(HERE / f"model_{preset}.json", paths[1])
    paths[2].write_text(json.dumps(learning, indent=2) + "\n")
    return paths


def nam_forward(nam_file: Path, x: np.ndarray) -> np.ndarray:
    """NAM's own forward pass (its loader, float32, zero history before the clip)."""
    import torch
    from nam.models import init_from_nam

    model = init_from_nam(json.loads(nam_file.read_text()))
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x[None].astype(np.float32))).numpy()[0]


def clip_esr(nam_file: Path, wav_dir: Path, n: int) -> float:
    x, _ = read_left(wav_dir / f"file_{n}_input.wav")
    y, _ = read_left(wav_dir / f"file_{n}.wav")
    pred = nam_forward(nam_file, x.astype(np.float32) / 32768.0)
    return metrics.esr(y[WARMUP:].astype(np.float32) / 32768.0, pred[WARMUP:])


def training_seconds(nam_run: Path) -> float:
    """Lightning's training time: from its log's start (hparams.yaml) to the last epoch checkpoint
    (all epochs with their validation passes; no imports, data loading or export)."""
    logs = nam_run / "lightning_logs" / "version_0"
    last = max((logs / "checkpoints").glob("checkpoint_epoch_*.ckpt"), key=lambda f: f.stat().st_mtime)
    return last.stat().st_mtime - (logs / "hparams.yaml").stat().st_mtime


def parameters(nam_file: Path) -> int:
    return len(json.loads(nam_file.read_text())["weights"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=("nano", "feather"), required=True, help="NAM A1 WaveNet preset")
    p.add_argument("--epochs", type=int, default=40, help="training epochs (default 40)")
    p.add_argument("--out", type=Path, default=Path("/tmp/nam_compare"),
                   help="work folder outside the repository (WAVs, configs, NAM's run)")
    p.add_argument("--score-only", type=Path, metavar="NAM_FILE",
                   help="skip training: only score this exported .nam on clips 8 and 9")
    args = p.parse_args(argv)
    wav_dir = args.out / "wav"
    build_wavs(wav_dir)
    if args.score_only is not None:
        nam_file, wall = args.score_only, float("nan")
    else:
        run_dir = args.out / f"{args.preset}-{args.epochs}"
        configs = write_configs(args.preset, args.epochs, wav_dir, run_dir / "config")
        nam_full = Path(sys.executable).with_name("nam-full")
        cmd = [str(nam_full), *map(str, configs), str(run_dir / "runs"), "--no-show", "--no-plots"]
        print("running:", " ".join(cmd), flush=True)
        t0 = time.monotonic()
        if not nam_full.is_file():
            sys.exit(f"error: no nam-full next to {sys.executable}: run this with NAM's venv's python")
        if subprocess.run(cmd).returncode != 0:
            sys.exit("error: nam-full failed (its output is above)")
        wall = time.monotonic() - t0
        nam_file = max((run_dir / "runs").glob("*/model.nam"), key=lambda f: f.stat().st_mtime)
    train_s = training_seconds(nam_file.parent)
    val = clip_esr(nam_file, wav_dir, 8)
    test = clip_esr(nam_file, wav_dir, 9)
    print(f"NAM {args.preset}: {parameters(nam_file)} parameters, {args.epochs} epochs, "
          f"{train_s / args.epochs:.1f} s/epoch (training + validation; {wall:.0f} s wall for nam-full), "
          f"val ESR (clip 8) {metrics.format_esr(val)}, test ESR (clip 9) {metrics.format_esr(test)} "
          f"[{nam_file}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
