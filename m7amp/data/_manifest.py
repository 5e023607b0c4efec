"""Dataset manifests: a TOML file listing DI/target pairs, their knob values and how to read them.

Format (docs/data.md has the full reference)::

    name = "jvm-tone"
    root = "${M7AMP_SHARED_DATA}/marshall-jvm410h-greybox"   # pair paths are relative to this
    sample_rate = 44100          # optional: the model rate (default: the files' rate)
    resample = false             # files at another rate: error (false) or resample (true)
    channel = "mix"              # "mix" = mean of the channels, or a 0-based channel index
    align = "report"             # lag handling: "none" | "report" | "compensate"
    max_lag_ms = 50.0
    # lag = 9                    # compensate: this fixed lag (samples) for every pair, not each estimate
    trim = false                 # input/target of different lengths: error (false) or cut to the shorter
    [split]                      # fractions of every pair, in time order: train | val | test
    train = 0.7
    val = 0.15
    test = 0.15
    [[knobs]]
    name = "treble"
    min = 0.0
    max = 10.0
    [[pairs]]
    input = "B0_M0_T10/B0_M0_T10_G5_file_1_input.wav"
    target = "B0_M0_T10/B0_M0_T10_G5_file_1.wav"
    knobs = { treble = 10 }
    # split = "test"             # optional: the whole pair goes to one split, or its own
    # split = { train = 0.85, val = 0.15 }   # fractions (in time, train | val | test; test may be 0)

``root`` is resolved against the manifest's folder; ``${M7AMP_SHARED_DATA}`` expands to that environment
variable or, if unset, to ``../shared/data`` seen from the working directory. ``data_root`` (the
``--data-root`` option) replaces ``root`` entirely.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from m7amp.errors import M7Error

SHARED_ENV = "M7AMP_SHARED_DATA"
SPLITS = ("train", "val", "test")
ALIGN_MODES = ("none", "report", "compensate")
_TOP_KEYS = {"name", "description", "root", "sample_rate", "resample", "channel", "align", "max_lag_ms",
             "lag", "trim", "split", "knobs", "pairs"}
_PAIR_KEYS = {"input", "target", "knobs", "split", "channel", "name"}


@dataclass(frozen=True)
class Knob:
    """A user-facing control: its name and range. Models see it normalised to [0, 1]."""

    name: str
    min: float = 0.0
    max: float = 1.0

    def normalise(self, value: float) -> float:
        return (value - self.min) / (self.max - self.min)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "min": self.min, "max": self.max}


@dataclass(frozen=True)
class PairSpec:
    """One input/target pair of a manifest, with resolved paths and its knob values (user scale)."""

    name: str
    input: Path
    target: Path
    knobs: tuple[float, ...] = ()
    split: str | dict[str, float] | None = None
    channel: int | None = None


@dataclass(frozen=True)
class Manifest:
    """A parsed, validated manifest (paths resolved, knob values checked)."""

    path: Path | None
    name: str
    pairs: tuple[PairSpec, ...]
    knobs: tuple[Knob, ...] = ()
    sample_rate: int | None = None
    resample: bool = False
    align: str = "report"
    max_lag_ms: float = 50.0
    lag: int | None = None
    trim: bool = False
    split: dict[str, float] = field(default_factory=lambda: {"train": 0.7, "val": 0.15, "test": 0.15})


def _err(where: str, msg: str) -> M7Error:
    return M7Error(f"{where}: {msg}")


def _expand_root(root: str, where: str) -> str:
    token = "${" + SHARED_ENV + "}"
    if token not in root:
        return root
    value = os.environ.get(SHARED_ENV)
    if not value:
        fallback = Path.cwd().parent / "shared" / "data"
        if not fallback.is_dir():
            raise _err(where, f"'root' uses {token} but {SHARED_ENV} is not set and {fallback} does not "
                       f"exist: export {SHARED_ENV}=/path/to/data or pass --data-root")
        value = str(fallback)
    return root.replace(token, value)


def _channel(value: Any, where: str) -> int | None:
    if value is None or value == "mix":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise _err(where, f"'channel' must be \"mix\" or a channel index >= 0, not {value!r}")


def _number(table: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(where, f"'{key}' must be a number, not {value!r}")
    return float(value)


def _parse_split(table: Any, where: str, need_test: bool = True) -> dict[str, float]:
    if not isinstance(table, dict):
        raise _err(where, "'split' must be a table with train, val and test fractions")
    unknown = set(table) - set(SPLITS)
    if unknown:
        raise _err(where, f"unknown key 'split.{sorted(unknown)[0]}' (expected train, val, test)")
    split = {s: _number(table, s, f"{where}: split", 0.0) for s in SPLITS}
    if any(v < 0 for v in split.values()) or (need_test and (split["train"] <= 0 or split["test"] <= 0)):
        raise _err(where, f"'split' fractions must be >= 0 with train > 0 and test > 0, got {split}")
    if abs(sum(split.values()) - 1.0) > 1e-6:
        raise _err(where, f"'split' fractions must add up to 1, got {sum(split.values()):g}")
    return split


def _parse_knobs(items: Any, where: str) -> tuple[Knob, ...]:
    if not isinstance(items, list):
        raise _err(where, "'knobs' must be an array of tables ([[knobs]] name, min, max)")
    knobs: list[Knob] = []
    for i, item in enumerate(items):
        w = f"{where}: knobs[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise _err(w, "each knob needs a 'name' string")
        unknown = set(item) - {"name", "min", "max"}
        if unknown:
            raise _err(w, f"unknown key '{sorted(unknown)[0]}' (expected name, min, max)")
        lo, hi = _number(item, "min", w, 0.0), _number(item, "max", w, 1.0)
        if not hi > lo:
            raise _err(w, f"'max' ({hi:g}) must be greater than 'min' ({lo:g})")
        if any(k.name == item["name"] for k in knobs):
            raise _err(w, f"duplicate knob name '{item['name']}'")
        knobs.append(Knob(item["name"], lo, hi))
    return tuple(knobs)


def _parse_pair(i: int, item: Any, root: Path, knobs: tuple[Knob, ...], where: str,
                check_files: bool = True) -> PairSpec:
    w = f"{where}: pairs[{i}]"
    if not isinstance(item, dict):
        raise _err(w, "each pair must be a table with 'input' and 'target'")
    unknown = set(item) - _PAIR_KEYS
    if unknown:
        raise _err(w, f"unknown key '{sorted(unknown)[0]}' (expected {', '.join(sorted(_PAIR_KEYS))})")
    paths = []
    for key in ("input", "target"):
        value = item.get(key)
        if not isinstance(value, str) or not value:
            raise _err(w, f"missing '{key}' (a path relative to the root {root})")
        path = root / value
        if check_files and not path.is_file():
            raise _err(w, f"{key} file not found: {path}")
        paths.append(path)
    values = item.get("knobs", {})
    if not isinstance(values, dict):
        raise _err(w, "'knobs' must be a table {name = value, ...}")
    for name in values:
        if name not in {k.name for k in knobs}:
            raise _err(w, f"unknown knob '{name}' (declared knobs: {[k.name for k in knobs]})")
    knob_values = []
    for knob in knobs:
        if knob.name not in values:
            raise _err(w, f"missing value for knob '{knob.name}'")
        v = _number(values, knob.name, w)
        if not knob.min <= v <= knob.max:
            raise _err(w, f"knob '{knob.name}' = {v:g} is outside [{knob.min:g}, {knob.max:g}]")
        knob_values.append(v)
    split = item.get("split")
    if isinstance(split, dict):
        split = _parse_split(split, w, need_test=False)
    elif split is not None and split not in SPLITS:
        raise _err(w, f"'split' must be one of {SPLITS} or a table of fractions, not {split!r}")
    name = item.get("name") or Path(str(item["target"])).stem
    channel = _channel(item.get("channel"), w)
    return PairSpec(str(name), paths[0], paths[1], tuple(knob_values), split, channel)


def parse_manifest(doc: dict[str, Any], base: Path, where: str, data_root: str | Path | None = None,
                   path: Path | None = None, check_files: bool = True) -> Manifest:
    """Validate a manifest already read into a dict; paths are resolved against ``base``.

    ``check_files=False`` reads only the TOML (knobs, splits): the root and the audio need not exist, and
    a ``${M7AMP_SHARED_DATA}`` root is left unexpanded.
    """
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise _err(where, f"unknown key '{sorted(unknown)[0]}'")
    if data_root is not None:
        root = Path(data_root)
    else:
        root_value = doc.get("root", ".")
        if not isinstance(root_value, str):
            raise _err(where, "'root' must be a string (a folder)")
        root = base / (_expand_root(root_value, where) if check_files else root_value)
    if check_files and not root.is_dir():
        raise _err(where, f"data root folder not found: {root}")
    rate = doc.get("sample_rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0):
        raise _err(where, f"'sample_rate' must be a positive integer, not {rate!r}")
    align = doc.get("align", "report")
    if align not in ALIGN_MODES:
        raise _err(where, f"'align' must be one of {ALIGN_MODES}, not {align!r}")
    for key in ("resample", "trim"):
        if not isinstance(doc.get(key, False), bool):
            raise _err(where, f"'{key}' must be true or false")
    lag = doc.get("lag")
    if lag is not None and (isinstance(lag, bool) or not isinstance(lag, int)):
        raise _err(where, f"'lag' must be an integer number of samples, not {lag!r}")
    if lag is not None and align != "compensate":
        raise _err(where, "'lag' needs align = \"compensate\"")
    knobs = _parse_knobs(doc.get("knobs", []), where)
    items = doc.get("pairs")
    if not isinstance(items, list) or not items:
        raise _err(where, "'pairs' is missing or empty: add [[pairs]] tables with input and target")
    channel = _channel(doc.get("channel"), where)
    pairs = []
    for i, item in enumerate(items):
        pair = _parse_pair(i, item, root, knobs, where, check_files)
        if pair.channel is None and "channel" not in item:
            pair = PairSpec(pair.name, pair.input, pair.target, pair.knobs, pair.split, channel)
        pairs.append(pair)
    return Manifest(
        path=path, name=str(doc.get("name") or (path.stem if path else "dataset")), pairs=tuple(pairs),
        knobs=knobs, sample_rate=rate, resample=doc.get("resample", False), align=align,
        max_lag_ms=_number(doc, "max_lag_ms", where, 50.0), lag=lag, trim=doc.get("trim", False),
        split=_parse_split(doc.get("split", {"train": 0.7, "val": 0.15, "test": 0.15}), where),
    )


def load_manifest(path: str | Path, data_root: str | Path | None = None) -> Manifest:
    """Read and validate a manifest file; errors name the file and the offending key."""
    path = Path(path)
    if not path.is_file():
        raise M7Error(f"manifest not found: {path}")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise M7Error(f"{path}: not valid TOML: {exc}") from None
    return parse_manifest(doc, path.resolve().parent, str(path), data_root, path)
