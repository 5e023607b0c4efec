"""Targets: where firmware runs. One interface (:class:`Target`, base.py), three backends:

========  ==================================  ==========================================================
name      class                               runs
========  ==================================  ==========================================================
sim       ``sim.SimTarget``                   the in-process F767 simulator, audio app, virtual time
renode    ``renode_audio.RenodeAudioTarget``  Renode on renode/stm32f767.repl, audio app, SAI1 model
board     ``board.BoardTarget``               a Nucleo-F767ZI over the ST-LINK, host-link app
========  ==================================  ==========================================================

``get_target(name, **options)`` returns a ready backend or raises :class:`TargetUnavailableError` (an
``M7Error``) with one line saying why it cannot run here; the pytest fixture and the Robot library
skip with that line. ``build_firmware(app, ...)`` builds the app a backend runs for a model package.
See docs/targets.md.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from m7amp.errors import M7Error
from m7amp.targets.base import Progress, Target

if TYPE_CHECKING:
    from m7amp.cab import Cabinet

# name -> "module:Class" (imported only when asked for: a backend may need packages others do not)
BACKENDS: dict[str, str] = {
    "sim": "m7amp.targets.sim:SimTarget",
    "renode": "m7amp.targets.renode_audio:RenodeAudioTarget",
    "board": "m7amp.targets.board:BoardTarget",
}
DEFAULT_TARGET = "sim"
DEFAULT_PRECISION = "f32"  # the engine precision firmware is built with unless asked otherwise
ENGINES = ("cmsis", "tflm")  # what engine apps link (firmware/CMakeLists.txt M7AMP_ENGINE)


class TargetUnavailableError(M7Error):
    """The backend exists but cannot run on this machine (no binary, no probe, not in this build)."""


def target_class(name: str) -> type[Target]:
    """The backend class for ``name``; unknown names raise ``M7Error``."""
    if name not in BACKENDS:
        raise M7Error(f"unknown target {name!r}; known: {', '.join(BACKENDS)}")
    module_name, _, class_name = BACKENDS[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        reason = f"the {name} backend ({module_name}) is not part of this build"
        raise TargetUnavailableError(reason) from None
    return getattr(module, class_name)


def get_target(name: str = DEFAULT_TARGET, **options: object) -> Target:
    """A new backend ``name`` built with ``options`` (keyword options of its constructor)."""
    cls = target_class(name)
    reason = cls.unavailable_reason(**options)
    if reason:
        raise TargetUnavailableError(f"target {name}: {reason}")
    return cls(**options)


def build_firmware(
    app: str, package: str | Path | None = None, *, precision: str = DEFAULT_PRECISION,
    sample_rate: int | None = None, block: int = 32, slow: int = 0, cab: Cabinet | None = None,
    engine: str = "cmsis", tflm_dir: str | Path | None = None,
) -> Path:
    """Build firmware ``app`` (a target's ``app``: ``audio`` or ``hostlink``) for a model package
    (default: the committed default); return its ELF. The audio app is built for ``sample_rate``
    (default: the model's) and ``block`` samples per half buffer (``slow``: extra busy-wait cycles per
    block, for deadline-miss tests), each combination in its own build folder. ``cab``: a cabinet IR
    convolved after the model (m7amp/cab.py; audio app only), prepared for ``sample_rate`` and ``block``.
    ``engine`` is ``cmsis`` (hand-written) or ``tflm`` (TensorFlow Lite Micro from the tree ``tflm_dir``,
    default $M7AMP_TFLM_DIR; its compiled library is shared by every build, docs/tflm.md)."""
    from m7amp.firmware import REPO, build_engine_app
    from m7amp.package import load_package

    if engine not in ENGINES:
        raise M7Error(f"unknown engine {engine!r} (available: {', '.join(ENGINES)})")
    pkg = load_package(package)
    if app == "audio":
        # the firmware's own limits (firmware/app/audio/main.c), said before a minute of compiling
        if block < 8 or block > 1024 or block % 8:
            raise M7Error(f"audio block must be a multiple of 8 in 8..1024 samples, got {block}")
        if slow < 0:
            raise M7Error(f"slow (extra cycles per block) must be 0 or more, got {slow}")
        sample_rate = sample_rate or pkg.sample_rate
        defines = {"M7AMP_AUDIO_RATE": str(sample_rate), "M7AMP_AUDIO_BLOCK": str(block),
                   "M7AMP_AUDIO_SLOW": str(slow)}
        slowed = f"_slow{slow}" if slow else ""
        build_dir = REPO / "build" / app / f"{pkg.name}_{precision}_{sample_rate}_{block}{slowed}"
        defines["M7AMP_CAB_DIR"] = ""
        if cab is not None:
            from m7amp.cab import write_sources

            if cab.rate != sample_rate:
                raise M7Error(f"the cabinet IR is at {cab.rate} Hz, the firmware at {sample_rate} Hz")
            build_dir = build_dir.with_name(f"{build_dir.name}_ir{len(cab.taps)}{cab.method}_{cab.digest}")
            defines["M7AMP_CAB_DIR"] = str(write_sources(cab, build_dir / "cab"))
    elif cab is not None:
        raise M7Error(f"a cabinet IR runs in the audio app, not in {app}")
    else:
        defines, build_dir = {}, REPO / "build" / app / f"{pkg.name}_{precision}"
    if engine == "tflm":  # the same app, linked with TFLM instead of the hand-written engine
        from m7amp import tflm

        tree = tflm.tflm_dir(tflm_dir)
        model_block = int(pkg.meta.get("block_size", 32))
        if app == "audio" and block % model_block:  # the tflm engine invokes the model per model block
            raise M7Error(f"the tflm engine needs an audio block that is a multiple of the model's block "
                          f"({model_block} samples), got {block}")
        defines.update(tflm.engine_defines(pkg.path, pkg.name, precision, tree=tree))
        build_dir = build_dir.with_name(f"{build_dir.name}_tflm-{tflm.tree_build_dir(tree).name}")
    return build_engine_app(app, pkg.c_dir, pkg.name, precision, defines=defines, build_dir=build_dir)


__all__ = ["BACKENDS", "DEFAULT_PRECISION", "DEFAULT_TARGET", "ENGINES", "Progress", "Target",
           "TargetUnavailableError", "build_firmware", "get_target", "target_class"]
