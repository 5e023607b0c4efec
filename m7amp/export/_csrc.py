"""C sources of a model package: ``<name>_f32.c/.h`` and ``<name>_q15.c/.h`` for the hand-written engine.

Each ``.c`` defines ``const`` weight arrays and one ``const m7_model_t <name>_<prec>`` whose op table
follows ``m7amp.models.describe`` exactly; each ``.h`` declares it and ``#define``s every buffer size, so
an engine sizes its buffers at compile time. The descriptor types are in ``m7_model.h``
(firmware/engines/cmsis/include, copied into the package). Format: docs/model-package.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from m7amp.export._reference import QOp
from m7amp.models._describe import LayerSpec

FORMAT_VERSION = 1
HEADER_PATH = Path(__file__).resolve().parents[2] / "firmware/engines/cmsis/include/m7_model.h"

_KIND = {k: f"M7_OP_{k.upper()}" for k in ("conv1x1", "nam_layer", "gated_layer", "lstm", "gru", "output")}
_BUF = {b: f"M7_BUF_{b.upper()}" for b in ("input", "audio", "knobs", "x", "head", "skip", "h", "out")}
_BUF |= {"": "M7_BUF_NONE", "y": "M7_BUF_NONE"}
_ACT = {"nam_layer": "M7_ACT_TANH", "gated_layer": "M7_ACT_GATED", "lstm": "M7_ACT_RNN", "gru": "M7_ACT_RNN"}
# C field <- weight name in LayerSpec.weights
_FIELDS = {
    "conv1x1": {"w": "w", "b": "b"},
    "nam_layer": {"w": "conv_w", "b": "conv_b", "mix_w": "mix_w", "res_w": "res_w", "res_b": "res_b"},
    "gated_layer": {"w": "conv_w", "b": "conv_b", "mix_w": "mix_w", "res_w": "res_w", "res_b": "res_b"},
    "lstm": {"w": "w_in", "b": "b", "w_h": "w_h"},
    "gru": {"w": "w_in", "b": "b_in", "w_h": "w_h", "b_h": "b_h"},
    "output": {},
}
_C_FIELDS = ("w", "b", "mix_w", "res_w", "res_b", "w_h", "b_h")
_BIASES = ("b", "res_b", "b_h")  # int32 in q15; the other weights are int16
_Q15_FRACS = ("in", "out", "acc", "res_acc", "acc_h")
# q15 layers: the weight arrays are the members of one struct, in this order, so that they lie contiguous in
# the order the fused small-layer kernels read them (b | mix_w | w | res_b | res_w; docs/model-package.md)
_PACKED_KINDS = ("nam_layer", "gated_layer")
_PACK_ORDER = ("b", "mix_w", "w", "res_b", "res_w")


@dataclass(frozen=True)
class Sizes:
    """Buffer and state sizes of a model, in values (the ``#define``s of the generated header)."""

    n_inputs: int
    n_ops: int
    state_len: int
    x_len: int
    head_len: int
    skip_len: int
    h_len: int
    scratch_len: int
    max_delay: int
    state_bytes_f32: int
    state_bytes_q15: int
    buffer_bytes_f32: int
    buffer_bytes_q15: int


def sizes(ops: list[LayerSpec], n_inputs: int) -> Sizes:
    """Compile-time sizes of the buffers the ops need (see m7_model.h for each buffer)."""
    x = max([op.out_ch for op in ops if op.dst == "x"] + [op.in_ch for op in ops if op.src == "x"] + [0])
    head = max([op.out_ch for op in ops if op.kind == "nam_layer" or op.dst == "head"] + [0])
    skip = sum(op.out_ch for op in ops if op.kind == "gated_layer")
    h = max([op.out_ch for op in ops if op.kind in ("lstm", "gru")] + [0])
    scratch = 1
    for op in ops:
        need = {
            "conv1x1": op.out_ch,
            "nam_layer": (3 if op.gated else 2) * op.out_ch,  # pre-activation(s), z
            "gated_layer": 3 * op.out_ch,  # 2C pre-activations, z
            "lstm": 4 * op.out_ch,
            "gru": 6 * op.out_ch,  # input and recurrent projections
        }.get(op.kind, 0)
        scratch = max(scratch, need)
    hist = sum(op.state_values for op in ops if op.kind in ("nam_layer", "gated_layer"))
    lstm_h = sum(op.out_ch for op in ops if op.kind == "lstm")
    gru_h = sum(op.out_ch for op in ops if op.kind == "gru")
    state_len = sum(op.state_values for op in ops)
    bufs = n_inputs + x + head + skip + h + 1 + scratch
    return Sizes(
        n_inputs=n_inputs,
        n_ops=len(ops),
        state_len=state_len,
        x_len=x,
        head_len=head,
        skip_len=skip,
        h_len=h,
        scratch_len=scratch,
        max_delay=max([op.state_frames for op in ops if op.kind.endswith("layer")] + [0]),
        state_bytes_f32=4 * state_len,
        state_bytes_q15=2 * hist + (2 + 4) * lstm_h + 2 * gru_h,
        buffer_bytes_f32=4 * bufs,
        # int16 input/x/skip/h, int32 head/out, int64-free scratch (accumulators live in registers)
        buffer_bytes_q15=2 * (n_inputs + x + skip + h) + 4 * (head + 1) + 4 * scratch,
    )


def c_identifier(name: str) -> str:
    """A C identifier from a model name (lower case, non-alphanumerics to '_')."""
    ident = re.sub(r"[^0-9a-zA-Z_]", "_", name).lower().strip("_") or "model"
    return f"m_{ident}" if ident[0].isdigit() else ident


def _floats(values: np.ndarray) -> list[str]:
    out = []
    for v in np.asarray(values, dtype=np.float32).ravel():
        if not np.isfinite(v):
            raise ValueError("non-finite weight")
        s = str(v)  # numpy prints the shortest decimal that reads back as the same float32
        out.append(s + ("f" if ("." in s or "e" in s) else ".0f"))
    return out


def _array(ctype: str, name: str, items: list[str], per_line: int) -> str:
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    body = ",\n    ".join(lines)
    return f"static const {ctype} {name}[{len(items)}] M7_MODEL_ALIGN = {{\n    {body}\n}};\n"


def _struct(name: str, members: list[tuple[str, str, list[str]]], per_line: int) -> str:
    """One static const struct whose members (field, C type, values) are the arrays, in the given order."""
    decl = "".join(f"    {ctype} {field}[{len(items)}];\n" for field, ctype, items in members)
    inits = []
    for field, _, items in members:
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        inits.append(f"    .{field} = {{\n        " + ",\n        ".join(lines) + "\n    }")
    return f"static const struct {{\n{decl}}} {name} M7_MODEL_ALIGN = {{\n" + ",\n".join(inits) + "\n};\n"


def _geom(op: LayerSpec, state_offset: int) -> str:
    f = {
        "kind": _KIND[op.kind],
        "src": _BUF[op.src],
        "dst": _BUF[op.dst],
        "cond": _BUF[op.cond],
        "act": "M7_ACT_GATED" if op.gated else _ACT.get(op.kind, "M7_ACT_NONE"),
        "input_skip": int(op.input_skip),
        "in_ch": op.in_ch,
        "out_ch": op.out_ch,
        "cond_ch": op.cond_ch,
        "kernel": op.kernel,
        "dilation": op.dilation,
        "skip_offset": op.skip_offset,
        "state_offset": f"{state_offset}u",
        "state_len": f"{op.state_values}u",
    }
    return "{" + ", ".join(f".{k} = {v}" for k, v in f.items()) + "}"


def generate(
    ops: list[LayerSpec],
    qops: list[QOp],
    name: str,
    n_inputs: int,
    sample_rate: int,
    receptive_field: int,
    macs: int,
) -> dict[str, str]:
    """File name -> text of the four generated files (plus ``m7_model.h``)."""
    ident, sz = c_identifier(name), sizes(ops, n_inputs)
    files = {"m7_model.h": HEADER_PATH.read_text()}
    for prec in ("f32", "q15"):
        sym = f"{ident}_{prec}"
        macro = sym.upper()
        hdr = [
            f"/* Generated by `m7amp export` from model {ident} ({prec}); do not edit.",
            " * Format: docs/model-package.md. Sizes are in values (floats for f32; for q15 see each). */",
            f"#ifndef {macro}_H",
            f"#define {macro}_H",
            "",
            '#include "m7_model.h"',
            "",
            f"#define {macro}_FORMAT_VERSION {FORMAT_VERSION}u",
            f"#define {macro}_SAMPLE_RATE {sample_rate}u",
            f"#define {macro}_N_INPUTS {sz.n_inputs}u /* audio + knobs */",
            f"#define {macro}_N_OPS {sz.n_ops}u",
            f"#define {macro}_RECEPTIVE_FIELD {receptive_field}u",
            f"#define {macro}_MACS_PER_SAMPLE {macs}u",
            f"#define {macro}_STATE_LEN {sz.state_len}u /* persistent state values (sum of op state_len) */",
            f"#define {macro}_STATE_BYTES "
            f"{sz.state_bytes_f32 if prec == 'f32' else sz.state_bytes_q15}u /* f32: floats; "
            "q15: int16 histories and h, int32 LSTM c */",
            f"#define {macro}_MAX_DELAY {sz.max_delay}u /* largest (kernel-1)*dilation of a layer */",
            f"#define {macro}_X_LEN {sz.x_len}u",
            f"#define {macro}_HEAD_LEN {sz.head_len}u /* q15: int32 */",
            f"#define {macro}_SKIP_LEN {sz.skip_len}u",
            f"#define {macro}_H_LEN {sz.h_len}u",
            f"#define {macro}_SCRATCH_LEN {sz.scratch_len}u /* per-sample temporaries */",
            "",
            f"extern const m7_model_t {sym};",
            "",
            f"#endif /* {macro}_H */",
            "",
        ]
        src = [
            f"/* Generated by `m7amp export` from model {ident} ({prec}); do not edit. */",
            f'#include "{sym}.h"',
            "",
            "#include <stddef.h>",
            "",
        ]
        table, state_offset = [], 0
        for i, (op, qo) in enumerate(zip(ops, qops, strict=True)):
            fields = [f".g = {_geom(op, state_offset)}"]
            state_offset += op.state_values
            packed = prec == "q15" and op.kind in _PACKED_KINDS
            members: list[tuple[str, str, list[str]]] = []
            for cf in _C_FIELDS:
                wname = _FIELDS[op.kind].get(cf)
                if wname is None or wname not in op.weights:
                    fields.append(f".{cf} = NULL")
                    continue
                arr = f"{sym}_op{i}_{cf}"
                if prec == "f32":
                    src.append(_array("float", arr, _floats(op.weights[wname]), 6))
                else:
                    ctype = "int32_t" if cf in _BIASES else "int16_t"
                    ints = [str(int(v)) for v in qo.q[wname].ravel()]
                    if packed:
                        members.append((cf, ctype, ints))
                        arr = f"{sym}_op{i}.{cf}"
                    else:
                        src.append(_array(ctype, arr, ints, 12))
                    fields.append(f".{cf}_frac = {qo.frac[wname]}")
                fields.append(f".{cf} = {arr}")
            if members:
                members.sort(key=lambda m: _PACK_ORDER.index(m[0]))
                src.append(_struct(f"{sym}_op{i}", members, 12))
            if prec == "f32":
                fields.append(f".scale = {_floats(np.array([op.scale]))[0]}")
            else:
                fields += [f".{k}_frac = {qo.frac[k]}" for k in _Q15_FRACS if k in qo.frac]
                if op.kind == "output":
                    fields += [f".scale = {int(qo.q['scale'][0])}", f".scale_frac = {qo.frac['scale']}"]
            table.append("    {" + ",\n     ".join(fields) + "},")
        optype = f"m7_op_{prec}_t"
        src.append(f"static const {optype} {sym}_ops[{len(ops)}] = {{\n" + "\n".join(table) + "\n};\n")
        src += [
            f"const m7_model_t {sym} = {{",
            "    .format_version = M7_MODEL_FORMAT_VERSION,",
            f"    .name = {json.dumps(name)},",
            f"    .precision = M7_PRECISION_{prec.upper()},",
            f"    .n_inputs = {sz.n_inputs},",
            f"    .n_ops = {sz.n_ops},",
            f"    .sample_rate = {sample_rate}u,",
            f"    .receptive_field = {receptive_field}u,",
            f"    .macs_per_sample = {macs}u,",
            f"    .state_len = {sz.state_len}u,",
            f"    .x_len = {sz.x_len},",
            f"    .head_len = {sz.head_len},",
            f"    .skip_len = {sz.skip_len},",
            f"    .h_len = {sz.h_len},",
            f"    .scratch_len = {sz.scratch_len},",
            f"    .ops_f32 = {sym + '_ops' if prec == 'f32' else 'NULL'},",
            f"    .ops_q15 = {sym + '_ops' if prec == 'q15' else 'NULL'},",
            "};",
            "",
        ]
        files[f"{sym}.h"] = "\n".join(hdr)
        files[f"{sym}.c"] = "\n".join(src)
    return files
