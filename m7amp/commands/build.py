"""``m7amp build``: build firmware apps and print their sizes (the library is m7amp/firmware.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from m7amp.errors import M7Error
from m7amp.firmware import DEFAULT_BUILD_DIR, apps, build, elf_size

HELP = "build firmware apps for the STM32F767 (CMake + arm-none-eabi-gcc) and print their sizes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("apps", nargs="*", default=["selftest"], metavar="APP",
                        help=f"apps to build (default: selftest; available: {', '.join(apps())})")
    parser.add_argument("--build-dir", type=Path, default=None,
                        help=f"build directory (default {DEFAULT_BUILD_DIR})")
    parser.add_argument("-D", dest="defines", action="append", default=[], metavar="KEY=VALUE",
                        help="CMake cache entry passed to the configure step (repeatable)")
    from m7amp.cab import add_ir_arguments

    add_ir_arguments(parser.add_argument_group(
        "cabinet IR (audio and bench apps; at -D M7AMP_AUDIO_RATE, default 48000, and the app's block)"))


CAB_APPS = ("audio", "bench")  # the apps with a cabinet IR stage (m7_add_cab in firmware/CMakeLists.txt)


def _cab_dir(args: argparse.Namespace, app: str, defines: dict[str, str]) -> str:
    """M7AMP_CAB_DIR for ``app``: the generated IR sources of --ir (in the build folder), or ""."""
    from m7amp.cab import from_args, write_sources

    rate = int(defines.get("M7AMP_AUDIO_RATE", 48_000))
    block = int(defines.get("M7AMP_AUDIO_BLOCK" if app == "audio" else "M7AMP_BENCH_BLOCK", 32))
    cab = from_args(args, rate, block, lambda line: print(f"note: {line}"))
    if cab is None:
        return ""
    print(f"{app}: cabinet IR {cab.source}, {len(cab.taps)} taps at {rate} Hz, {cab.method}, block {block}")
    return str(write_sources(cab, Path(args.build_dir or DEFAULT_BUILD_DIR).resolve() / f"cab-{app}"))


def run(args: argparse.Namespace) -> int:
    from m7amp.memory import format_report, memory_report

    defines: dict[str, str] = {}
    for item in args.defines:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise M7Error(f"-D expects KEY=VALUE, got {item!r}")
        defines[key] = value
    if args.ir is None and (args.ir_length is not None or args.ir_min_phase):
        raise M7Error("--ir-length and --ir-min-phase need --ir")
    for app in args.apps:
        app_defines = dict(defines)
        if app in CAB_APPS:  # always said, so that an IR of an earlier build does not linger in the cache
            app_defines["M7AMP_CAB_DIR"] = _cab_dir(args, app, defines)
        elif args.ir is not None:
            raise M7Error(f"--ir: the cabinet IR runs in the {' and '.join(CAB_APPS)} apps, not in {app}")
        elf = build(app, build_dir=args.build_dir, defines=app_defines or None)
        s = elf_size(elf)
        print(f"{elf}  text {s['text']}  data {s['data']}  bss {s['bss']}  (flash {s['flash']})")
        report = memory_report(elf)
        if report.model:  # an engine app: where the model and its buffers went
            print(format_report(report))
    return 0
