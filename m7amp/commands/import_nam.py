"""``m7amp import CAPTURE.nam --out PKG``: a Neural Amp Modeler capture as a model package (the library is
m7amp/nam.py; docs/nam-import.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from m7amp.nam import OUTPUT_MODES, PLUGIN_INPUT_LEVEL_DBU, import_capture

HELP = "import a Neural Amp Modeler capture (.nam: WaveNet or LSTM) as a model package"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("capture", type=Path, metavar="CAPTURE.nam", help="a Neural Amp Modeler model file")
    parser.add_argument("--out", required=True, type=Path, metavar="PKG_DIR",
                        help="package directory to write")
    parser.add_argument("--name", help="model name (default: nam_ + the file name, as a C identifier)")
    lv = parser.add_argument_group(
        "levels (as NAM's plugin sets them; folded into the weights, recorded in metadata.json)")
    lv.add_argument("--input-gain", type=float, default=0.0, metavar="DB",
                    help="the plugin's Input knob, dB (default 0)")
    lv.add_argument("--output-gain", type=float, default=0.0, metavar="DB",
                    help="the plugin's Output knob, dB (default 0)")
    lv.add_argument("--output-mode", choices=OUTPUT_MODES, default="normalized",
                    help="normalized (the plugin's default): add -18 dB - the capture's loudness; "
                         "calibrated: add output_level_dbu - --input-level-dbu; raw: nothing")
    lv.add_argument("--calibrate-input", action="store_true",
                    help="add --input-level-dbu - the capture's input_level_dbu to the input gain")
    lv.add_argument("--input-level-dbu", type=float, default=PLUGIN_INPUT_LEVEL_DBU, metavar="DBU",
                    help="analog level of 0 dBFS at the input (default 12, the plugin's default; the "
                         "PCM1808 of docs/hardware.md is about +2.7 dBu)")
    ex = parser.add_argument_group("package (as `m7amp export`)")
    ex.add_argument("--block-size", type=int, default=32, help="block of the streaming TFLite models (32)")
    ex.add_argument("--golden-seconds", type=float, default=1.0, help="length of the golden vectors (1 s)")
    ex.add_argument("--force", action="store_true", help="overwrite the package in a non-empty PKG_DIR")
    ex.add_argument("--skip-tflite", action="store_true", help="write no TFLite variants (fast)")


def run(args: argparse.Namespace) -> int:
    from m7amp.commands.export import print_summary

    meta = import_capture(
        args.capture, args.out, name=args.name, input_gain_db=args.input_gain,
        output_gain_db=args.output_gain, output_mode=args.output_mode, calibrate_input=args.calibrate_input,
        input_level_dbu=args.input_level_dbu, block_size=args.block_size, golden_seconds=args.golden_seconds,
        force=args.force, tflite=not args.skip_tflite, progress=lambda line: print(line, flush=True))
    lv = meta["nam"]["levels"]
    print(f"levels: input {lv['input_gain_db']:+.2f} dB, output {lv['output_gain_db']:+.2f} dB "
          f"(output mode {lv['output_mode']}{', input calibrated' if lv['calibrate_input'] else ''})")
    return print_summary(meta, args.out)
