"""``m7amp export RUN_DIR --out PKG_DIR``: write the model package of a training run."""

from __future__ import annotations

import argparse

from m7amp.metrics import esr_verdict, format_esr

HELP = "export a trained model as a package: .keras, TFLite variants, C sources, golden vectors, metadata"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by `m7amp train`")
    parser.add_argument("--out", required=True, metavar="PKG_DIR", help="package directory to write")
    parser.add_argument(
        "--block-size", type=int, default=32, help="samples per block of the streaming models (default 32)"
    )
    parser.add_argument(
        "--golden-seconds",
        type=float,
        default=1.0,
        help="length of the golden vectors cut from the test split (default 1 s: keeps tests fast)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite the package in a non-empty PKG_DIR")
    parser.add_argument(
        "--skip-tflite", action="store_true", help="write no TFLite variants (fast; the C sources only)"
    )


def run(args: argparse.Namespace) -> int:
    from m7amp.export import export_package

    meta = export_package(
        args.run_dir,
        args.out,
        block_size=args.block_size,
        force=args.force,
        golden_seconds=args.golden_seconds,
        tflite=not args.skip_tflite,
        progress=lambda line: print(line, flush=True),
    )
    return print_summary(meta, args.out)


def print_summary(meta: dict, out: object) -> int:
    """Print a written package's figures and variant table; the exit code (1 if a variant failed)."""
    print(f"\n{meta['name']}: {meta['parameters']} parameters, {meta['macs_per_sample']} MACs/sample, "
          f"receptive field {meta['receptive_field']}, golden {meta['golden']['seconds']:.3g} s")
    print(f"{'variant':<12} {'ESR vs target':>14} {'ESR vs Keras':>13}")
    for name, v in meta["variants"].items():
        if "error" in v:
            print(f"{name:<12} failed: {v['error']}")
        elif "skipped" in v or "unsupported" in v:
            print(f"{name:<12} {v.get('unsupported', 'skipped')}")
        else:
            print(f"{name:<12} {format_esr(v['esr_vs_target']):>14} {format_esr(v['esr_vs_keras']):>13}"
                  f"  {esr_verdict(v['esr_vs_target'])}")
    print(f"wrote {out}")
    return 0 if all("error" not in v for v in meta["variants"].values()) else 1
