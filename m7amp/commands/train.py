"""``m7amp train``: train an amp model on a dataset manifest or the built-in synthetic data."""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from m7amp.errors import M7Error

HELP = "train an amp model (WaveNet or RNN) on DI/amp pairs or the built-in synthetic data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group("data (one of)")
    data.add_argument("--data", metavar="MANIFEST", help="dataset manifest (TOML), see docs/data.md")
    data.add_argument("--synthetic", action="store_true",
                      help="built-in data: synthetic DI guitar through the reference amp (no download)")
    data.add_argument("--data-root", metavar="DIR",
                      help="folder the manifest's pair paths are relative to (replaces its 'root')")
    data.add_argument("--synthetic-seconds", type=float, default=60.0, metavar="S",
                      help="seconds of synthetic audio, shared by the knob values (default 60)")
    data.add_argument("--knob-values", type=float, nargs="+", metavar="G",
                      help="synthetic: train with a 'gain' knob at these values in [0, 1] (e.g. 0 0.5 1)")
    data.add_argument("--synthetic-seed", type=int, default=0, metavar="N",
                      help="seed of the synthetic performance (default 0)")
    data.add_argument("--sample-rate", type=int, default=48000, metavar="HZ",
                      help="synthetic data sample rate (default 48000)")
    model = parser.add_argument_group("model (one of)")
    model.add_argument("--preset", metavar="NAME",
                       help="nano, feather, lite, standard, wavenet1..3, lstm16, gru12, an RNN size "
                            "lstm<N>/gru<N>, or auto: the largest model `m7amp fit` finds real-time at "
                            "--sample-rate (its default block and headroom; measured in the simulator, "
                            "cached)")
    model.add_argument("--config", metavar="TOML", help="model config file (see training/presets/)")
    parser.add_argument("--out", required=True, metavar="RUN_DIR",
                        help="run folder (new or empty), or a parent folder for a timestamped run")
    parser.add_argument("--train-config", metavar="TOML",
                        help="learning config (default training/train.toml)")
    parser.add_argument("--epochs", type=int, metavar="N",
                        help="maximum epochs, the cosine's budget (overrides the config's; the recipe's 300 "
                             "take feather ~45 CPU min on the JVM clips, docs/training.md)")
    parser.add_argument("--seed", type=int, metavar="N", help="training seed (overrides the config)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint (data, model and "
                             "config come from the run folder; --data MANIFEST: where its manifest is now, "
                             "if moved, with the same contents as the run's data.toml)")
    distill = parser.add_argument_group("distillation (docs/training.md)")
    distill.add_argument("--teacher", metavar="RUN_DIR",
                         help="a finished run whose model labels extra DI; the student trains on those "
                              "labels mixed with the real pairs (same rate and knobs as --data)")
    distill.add_argument("--distill-di", nargs="+", default=[], metavar="PATH",
                         help="extra DI audio files or folders for the teacher to label (any rate); a clip "
                              "holding validation or test input audio is refused")
    distill.add_argument("--distill-synthetic", type=float, default=60.0, metavar="S",
                         help="seconds of the built-in synthetic guitar to label too (default 60; 0: none)")
    distill.add_argument("--distill-ratio", type=float, default=1.0, metavar="R",
                         help="distilled segments per real training segment in each epoch (default 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar, one line per epoch")


def _data_spec(args: argparse.Namespace) -> dict:
    if bool(args.data) == bool(args.synthetic):
        raise M7Error("give exactly one of --data MANIFEST or --synthetic")
    if args.synthetic:
        return {"synthetic": {"seconds": args.synthetic_seconds, "knob_values": args.knob_values,
                              "seed": args.synthetic_seed, "sample_rate": args.sample_rate}}
    if args.knob_values:
        raise M7Error("--knob-values is for --synthetic; a manifest gives knob values per pair")
    if not Path(args.data).is_file():
        raise M7Error(f"manifest not found: {args.data}")
    return {"manifest": args.data, "data_root": args.data_root}


def resolve_preset(preset: str, sample_rate: int) -> str:
    """``preset``, or for "auto" the model ``m7amp fit`` picks at ``sample_rate`` (its table goes to
    stderr); M7Error when none fits."""
    if preset != "auto":
        return preset
    from m7amp.commands.fit import fit

    def err(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    best = fit(sample_rate=sample_rate, progress=err, out=err)
    if best is None:
        raise M7Error(f"--preset auto: no candidate runs in real time at {sample_rate} Hz (see the table)")
    err(f"train: --preset auto -> {best.preset} (run it in {best.precision})")
    return best.preset


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING, stream=sys.stderr)
    if args.epochs is not None and args.epochs <= 0:
        raise M7Error(f"--epochs must be positive, got {args.epochs}")
    from m7amp.training._run import run_training

    command = "m7amp train " + shlex.join(sys.argv[2:]) if len(sys.argv) > 2 else ""
    progress = False if args.no_progress else None
    if args.resume:
        given = [f"--{k.replace('_', '-')}" for k in ("synthetic", "preset", "config", "train_config",
                                                       "seed", "teacher") if getattr(args, k)]
        if given:
            logging.getLogger("m7amp").warning(
                "--resume takes the data, model and config from %s; ignoring %s", args.out, " ".join(given))
        moved = _data_spec(args) if args.data else None  # where the run's manifest is now
        run_training(moved, None, None, args.out, resume=True, epochs=args.epochs, progress=progress,
                     command=command)
        return 0

    from m7amp.models import load_config
    from m7amp.training._config import load_train_config

    data_spec = _data_spec(args)
    if bool(args.preset) == bool(args.config):
        raise M7Error("give exactly one of --preset NAME or --config TOML")
    model_config = load_config(resolve_preset(args.preset, args.sample_rate) if args.preset else args.config)
    config_text = Path(args.config).read_text() if args.config else None
    train_config = load_train_config(args.train_config).with_overrides(seed=args.seed)
    distill = None
    if args.teacher:
        from m7amp.training._distill import DistillSpec

        distill = DistillSpec(args.teacher, args.distill_ratio, tuple(args.distill_di),
                              args.distill_synthetic)
    elif args.distill_di:
        raise M7Error("--distill-di needs --teacher RUN_DIR")
    run_training(data_spec, model_config, train_config, args.out, epochs=args.epochs,
                 config_text=config_text, progress=progress, command=command, distill=distill)
    return 0
