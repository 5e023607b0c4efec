"""Reference streaming engine in numpy: the oracle the C engines are checked against.

It runs the ops of ``m7amp.models.describe`` block by block (any block size gives the same result),
keeping the same persistent state a C engine keeps: each dilated layer's last ``(k-1)·d`` input frames,
the RNN ``h`` (and ``c``). Two arithmetics:

- ``F32Engine``: float64 math on the float32 weights (the exported ``_f32`` model). It matches Keras to
  float32 rounding.
- ``Q15Engine``: the fixed-point arithmetic of the exported ``_q15`` model, bit for bit as documented in
  docs/model-package.md: int16 weights and activations with power-of-two (Q-format) scales, int32
  accumulators that the export proves cannot overflow (every product of a sum is already in the
  accumulator's format, the bias is stored in it), round-half-up right shifts, int16 saturation on
  stores, and tanh/sigmoid from a Q15 table with linear interpolation (``tanh_q15``).

``quantize(ops, rep_x)`` turns the float ops into ``QOp``s: integer weights, their ``frac`` (value =
integer · 2^-frac), and the activation formats calibrated by running ``F32Engine`` on ``rep_x``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from m7amp.models._describe import LayerSpec

# Stored buffers in the q15 engine: "input", "x", "skip", "h" are int16 (input and skip and h in Q15, x in
# the writer's out_frac); "head" and "out" are int32 in Q15 (sums of Q15 values stay exact); LSTM c is
# int32 in Q15.
Q15 = 15
HEADROOM = 1.5  # calibrated max · 1.5 must fit int16: room for signals louder than rep_x
MAX_FRAC = 30  # keeps accumulator shifts small
ACC_MAX = 2**31 - 1  # accumulators are int32: the export proves |sum| <= ACC_MAX for any int16 input
X_MAX = 2**15  # |int16| bound used in that proof

# tanh table (the C copy is firmware/engines/cmsis/src/m7_tanh_q15_table.c, written by
# tools/gen_tanh_q15.py): T[k] = round(tanh(k / TANH_STEPS - TANH_RANGE) · 32768) saturated to ±32767,
# read with a Q16 input u saturated to 20 bits (one SSAT): index = (u + 2^19) >> TANH_SHIFT, linear
# interpolation on the low TANH_SHIFT bits. |x| >= 8 gives ±32767 (tanh(8) = 1 - 2.3e-7).
TANH_IN_FRAC = 16
TANH_IN_BITS = 20  # u in [-2^19, 2^19 - 1], i.e. x in [-8, 8)
TANH_STEPS = 128  # table points per unit
TANH_SHIFT = TANH_IN_FRAC - 7  # log2(2^16 / TANH_STEPS)
TANH_RANGE = 1 << (TANH_IN_BITS - 1 - TANH_IN_FRAC)
TANH_TABLE = np.clip(  # k = 0..2·TANH_RANGE·TANH_STEPS: u = 2^19 - 1 reads the last two points
    np.round(np.tanh(np.arange(2 * TANH_RANGE * TANH_STEPS + 1) / TANH_STEPS - TANH_RANGE) * 32768.0),
    -32767, 32767).astype(np.int64)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


# ------------------------------------------------------------------------------------------- float engine


class F32Engine:
    """Streams ``ops`` over blocks in float64; ``record`` collects max |value| of calibrated points."""

    def __init__(self, ops: list[LayerSpec], record: bool = False):
        self.ops = ops
        self.peaks: dict[tuple[int, str], float] = {} if record else None  # type: ignore[assignment]
        self.reset()

    def reset(self) -> None:
        self.state: list[dict[str, np.ndarray]] = []
        for op in self.ops:
            s: dict[str, np.ndarray] = {}
            if op.kind in ("nam_layer", "gated_layer"):
                s["hist"] = np.zeros((op.state_frames, op.in_ch))
            elif op.kind in ("lstm", "gru"):
                s["h"] = np.zeros(op.out_ch)
                s["c"] = np.zeros(op.out_ch)
            self.state.append(s)

    def _peak(self, i: int, point: str, v: np.ndarray) -> None:
        if self.peaks is not None and v.size:
            self.peaks[(i, point)] = max(self.peaks.get((i, point), 0.0), float(np.abs(v).max()))

    def process(self, x: np.ndarray) -> np.ndarray:
        """One block ``(B, 1+K)`` in, ``(B,)`` float64 out; state carries over to the next call."""
        x = np.asarray(x, dtype=np.float64)
        n = x.shape[0]
        buf = {"input": x, "audio": x[:, :1], "knobs": x[:, 1:], "head": np.zeros((n, 0))}
        y = np.zeros(n)
        for i, op in enumerate(self.ops):
            w, st = {k: v.astype(np.float64) for k, v in op.weights.items()}, self.state[i]
            if op.kind == "conv1x1":
                src = buf[op.src][:, : op.in_ch]
                self._peak(i, "in", src)
                out = src @ w["w"].T + w.get("b", 0.0)
                buf[op.dst] = out
                self._peak(i, "out", out)
            elif op.kind in ("nam_layer", "gated_layer"):
                xin = buf[op.src]
                a = _dilated(st, xin, w["conv_w"], op.dilation) + w["conv_b"]
                if "mix_w" in w:
                    a = a + buf[op.cond] @ w["mix_w"].T
                c = op.out_ch
                z = np.tanh(a[:, :c]) * _sigmoid(a[:, c:]) if op.gated else np.tanh(a)
                if op.kind == "nam_layer":
                    head = buf["head"]
                    buf["head"] = z if head.shape[1] == 0 else head[:, :c] + z
                else:
                    skip = buf.setdefault("skip", np.zeros((n, 0)))
                    buf["skip"] = np.concatenate([skip[:, : op.skip_offset], z], axis=1)
                if "res_w" in w:
                    buf[op.dst] = xin + z @ w["res_w"].T + w["res_b"]
                    self._peak(i, "out", buf[op.dst])
            elif op.kind in ("lstm", "gru"):
                buf[op.dst] = _rnn_f(op, w, st, buf[op.src])
            elif op.kind == "output":
                y = op.scale * buf[op.src][:, 0] + (buf["audio"][:, 0] if op.input_skip else 0.0)
        return y

    def run(self, x: np.ndarray, block_size: int = 4096) -> np.ndarray:
        """A whole clip ``(T, 1+K)`` from zero state, in blocks of ``block_size``."""
        self.reset()
        return np.concatenate([self.process(x[s : s + block_size]) for s in range(0, len(x), block_size)])


def _dilated(st: dict[str, np.ndarray], xin: np.ndarray, conv_w: np.ndarray, d: int) -> np.ndarray:
    """Dilated causal conv of one block using (and updating) the layer's history; any dtype."""
    s, n, k = st["hist"].shape[0], xin.shape[0], conv_w.shape[1]
    hist = np.concatenate([st["hist"], xin], axis=0)
    acc = 0
    for j in range(k):
        start = s - (k - 1 - j) * d
        acc = acc + hist[start : start + n] @ conv_w[:, j, :].T
    if s:
        st["hist"] = hist[-s:]
    return acc


def _rnn_f(op: LayerSpec, w: dict[str, np.ndarray], st: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    hdim, out = op.out_ch, np.zeros((x.shape[0], op.out_ch))
    h, c = st["h"], st["c"]
    if op.kind == "lstm":
        u = x @ w["w_in"].T + w["b"]
        for t in range(x.shape[0]):
            a = u[t] + w["w_h"] @ h
            i, f = _sigmoid(a[:hdim]), _sigmoid(a[hdim : 2 * hdim])
            g, o = np.tanh(a[2 * hdim : 3 * hdim]), _sigmoid(a[3 * hdim :])
            c = f * c + i * g
            h = o * np.tanh(c)
            out[t] = h
    else:
        u = x @ w["w_in"].T + w["b_in"]
        for t in range(x.shape[0]):
            v = w["w_h"] @ h + w["b_h"]
            z = _sigmoid(u[t, :hdim] + v[:hdim])
            r = _sigmoid(u[t, hdim : 2 * hdim] + v[hdim : 2 * hdim])
            nn = np.tanh(u[t, 2 * hdim :] + r * v[2 * hdim :])
            h = z * h + (1.0 - z) * nn
            out[t] = h
    st["h"], st["c"] = h, c
    return out


# ------------------------------------------------------------------------------------------ quantisation


@dataclass(frozen=True)
class QOp:
    """A quantised op: ``q`` holds integer arrays (int16 weights, int32 biases) named as in
    ``spec.weights``; ``frac`` holds the Q format of each (value = int · 2^-frac) and of the activations:

    - ``in``: the int16 source vector (``x``: the previous writer's ``out``; "head" is converted from its
      int32 Q15 to int16 at this format before the product; input/skip/h: 15);
    - ``out``: the stored int16 ``x`` written by this op (15 for int32 head/out destinations);
    - ``acc`` (and ``res_acc``, ``acc_h`` for GRU): the accumulator format, the largest format of its
      terms, so every term enters with an exact left shift ``acc - term_frac``.
    """

    spec: LayerSpec
    q: dict[str, np.ndarray] = field(default_factory=dict)
    frac: dict[str, int] = field(default_factory=dict)


def frac_for(peak: float, bits: int = 16, headroom: float = 1.0) -> int:
    """The largest Q format whose signed ``bits`` range holds ``peak · headroom`` (capped at MAX_FRAC)."""
    limit = float(2 ** (bits - 1) - 1)
    if peak * headroom <= 0:
        return MAX_FRAC
    return int(min(MAX_FRAC, math.floor(math.log2(limit / (peak * headroom)))))


def _qarray(v: np.ndarray, frac: int, bits: int) -> np.ndarray:
    lim = 2 ** (bits - 1)
    return np.clip(np.round(v.astype(np.float64) * 2.0**frac), -lim, lim - 1).astype(np.int64)


def quantize(ops: list[LayerSpec], rep_x: np.ndarray | None, max_windows: int = 16) -> list[QOp]:
    """Quantise weights per array and calibrate activation formats on ``rep_x`` ``(n, T, 1+K)``."""
    peaks: dict[tuple[int, str], float] = {}
    if rep_x is not None and len(rep_x):
        eng = F32Engine(ops, record=True)
        for seg in rep_x[:max_windows]:
            eng.run(seg)
        peaks = eng.peaks
    qops: list[QOp] = []
    x_frac = Q15
    for i, op in enumerate(ops):
        q: dict[str, np.ndarray] = {}
        frac: dict[str, int] = {}
        for name, w in op.weights.items():
            if w.ndim >= 2:
                frac[name] = frac_for(float(np.abs(w).max()))
                q[name] = _qarray(w, frac[name], 16)
        src_frac = {"x": x_frac, "head": frac_for(peaks.get((i, "in"), 1.0), headroom=HEADROOM)}
        frac["in"] = src_frac.get(op.src, Q15)
        if op.kind == "conv1x1":
            _qsum(op, q, frac, "acc", [("w", frac["in"])], "b")
            frac["out"] = frac_for(peaks.get((i, "out"), 1.0), headroom=HEADROOM) if op.dst == "x" else Q15
        elif op.kind in ("nam_layer", "gated_layer"):
            terms = [("conv_w", frac["in"])] + ([("mix_w", Q15)] if "mix_w" in op.weights else [])
            _qsum(op, q, frac, "acc", terms, "conv_b")
            frac["out"] = frac["in"]
            if "res_w" in op.weights:
                # x enters the residual sum shifted from in_frac; its |x| <= 2^15 is part of the bound
                _qsum(op, q, frac, "res_acc", [("res_w", Q15)], "res_b", x_frac=frac["in"])
                frac["out"] = frac_for(peaks.get((i, "out"), 1.0), headroom=HEADROOM)
        elif op.kind == "lstm":
            # a = w_in·input + w_h·h + b in one int32 format (the bound covers both products)
            _qsum(op, q, frac, "acc", [("w_in", Q15), ("w_h", Q15)], "b")
        elif op.kind == "gru":
            # u = w_in·input + b_in and v = w_h·h + b_h share one format, and |u| + |v| fits int32, so
            # the gate sums u + v (and u_n + r·v_n, |r| <= 1) are exact in int32
            _qsum(op, q, frac, "acc", [("w_in", Q15), ("w_h", Q15)], ("b_in", "b_h"))
            frac["acc_h"] = frac["acc"]
        elif op.kind == "output":
            frac["scale"] = frac_for(abs(op.scale))
            q["scale"] = _qarray(np.array([op.scale]), frac["scale"], 16)
        if op.dst == "x":
            x_frac = frac["out"]
        qops.append(QOp(op, q, frac))
    return qops


def _qsum(op: LayerSpec, q: dict, frac: dict, acc: str, terms: list[tuple[str, int]],
          bias: str | tuple[str, ...], x_frac: int | None = None) -> None:
    """Formats of one int32 sum ``bias + Σ w·v (+ x)`` whose products need no shift: each weight array
    ``w`` (times an int16 ``v`` of format ``v_frac``) is stored at ``acc - v_frac``, the bias at ``acc``.
    ``acc`` is the largest format that every weight array allows (``frac_for`` of its max |w|) and for
    which the worst case over all int16 inputs, per output row ``|b| + 2^15·Σ|w| (+ 2^15·2^(acc-x_frac))``,
    fits int32, so SMLAD accumulation never overflows. Several weight arrays (and biases) with the same
    rows share one bound: their sums may be added (GRU gates)."""
    biases = [b for b in ((bias,) if isinstance(bias, str) else bias) if b in op.weights]
    acc_frac = min(frac_for(float(np.abs(op.weights[w]).max())) + v for w, v in terms)
    while True:
        rows = 0.0
        for w, v in terms:
            wq = _qarray(op.weights[w], acc_frac - v, 16)
            rows = rows + X_MAX * np.abs(wq).reshape(wq.shape[0], -1).sum(axis=1)
        for b in biases:
            rows = rows + np.abs(np.round(op.weights[b].astype(np.float64) * 2.0**acc_frac))
        if x_frac is not None:
            rows = rows + X_MAX * 2.0 ** (acc_frac - x_frac)
        if float(np.max(rows)) <= ACC_MAX:
            break
        acc_frac -= 1
    frac[acc] = acc_frac
    for w, v in terms:
        frac[w] = acc_frac - v
        q[w] = _qarray(op.weights[w], frac[w], 16)
    for b in biases:
        frac[b] = acc_frac
        q[b] = _qarray(op.weights[b], acc_frac, 32)


# ------------------------------------------------------------------------------------------- q15 engine


def shift_round(v: np.ndarray, s: int) -> np.ndarray:
    """``v · 2^-s`` in integers: round-half-up right shift for ``s > 0``, exact left shift otherwise."""
    if s > 0:
        return (v + (1 << (s - 1))) >> s
    return v << (-s)


def sat(v: np.ndarray, bits: int) -> np.ndarray:
    lim = 1 << (bits - 1)
    return np.clip(v, -lim, lim - 1)


def act_q15(v: np.ndarray) -> np.ndarray:
    """A value in [-1, 1] (computed in float) stored as Q15 (round half even, saturated)."""
    return np.clip(np.round(v * 32768.0), -32768, 32767).astype(np.int64)


def act_input(acc: np.ndarray, acc_frac: int, frac: int = TANH_IN_FRAC) -> np.ndarray:
    """An int32 accumulator at ``acc_frac`` as the table input: rounded to ``frac`` and saturated to
    ``TANH_IN_BITS`` signed bits. (The C engine saturates before a left shift; the result is the same.)"""
    return sat(shift_round(np.asarray(acc, dtype=np.int64), acc_frac - frac), TANH_IN_BITS)


def tanh_q15(u: np.ndarray) -> np.ndarray:
    """tanh of a Q16 input ``u`` (``TANH_IN_BITS`` signed bits) in Q15: table + linear interpolation,
    values in [-32767, 32767]. Max error: tests/export/test_act_q15.py, docs/engine.md. (The C engine
    computes the same integer as one SMLAD: (T[i]·(2^s - f) + T[i+1]·f + 2^(s-1)) >> s.)"""
    a = np.asarray(u, dtype=np.int64) + (1 << (TANH_IN_BITS - 1))
    i, f = a >> TANH_SHIFT, a & ((1 << TANH_SHIFT) - 1)
    t0 = TANH_TABLE[i]
    return t0 + (((TANH_TABLE[np.minimum(i + 1, len(TANH_TABLE) - 1)] - t0) * f + (1 << (TANH_SHIFT - 1)))
                 >> TANH_SHIFT)


def tanh_acc(acc: np.ndarray, acc_frac: int) -> np.ndarray:
    """Q15 tanh of an accumulator."""
    return tanh_q15(act_input(acc, acc_frac))


def sigmoid_acc(acc: np.ndarray, acc_frac: int) -> np.ndarray:
    """Q15 sigmoid of an accumulator: (1 + tanh(x/2)) / 2, x/2 in Q16 being x in Q15; rounded half up,
    saturated to 32767."""
    t = tanh_q15(act_input(acc, acc_frac, TANH_IN_FRAC - 1))
    return np.minimum((t + 32769) >> 1, 32767)


class Q15Engine:
    """Streams quantised ops over blocks with the integer arithmetic of the q15 C model."""

    def __init__(self, qops: list[QOp]):
        self.qops = qops
        self.reset()

    def reset(self) -> None:
        self.state: list[dict[str, np.ndarray]] = []
        for qo in self.qops:
            op, s = qo.spec, {}
            if op.kind in ("nam_layer", "gated_layer"):
                s["hist"] = np.zeros((op.state_frames, op.in_ch), dtype=np.int64)
            elif op.kind in ("lstm", "gru"):
                s["h"] = np.zeros(op.out_ch, dtype=np.int64)
                s["c"] = np.zeros(op.out_ch, dtype=np.int64)
            self.state.append(s)

    @staticmethod
    def quantize_input(x: np.ndarray) -> np.ndarray:
        """Float input (audio in [-1, 1], knobs in [0, 1]) to Q15 int16 (saturating)."""
        return act_q15(np.asarray(x, dtype=np.float64))

    def process(self, xq: np.ndarray) -> np.ndarray:
        """One block of Q15 input ``(B, 1+K)`` int in, ``(B,)`` Q15 int16 output."""
        n = xq.shape[0]
        buf = {"input": xq, "audio": xq[:, :1], "knobs": xq[:, 1:], "head": np.zeros((n, 0), dtype=np.int64)}
        y = np.zeros(n, dtype=np.int64)
        for i, qo in enumerate(self.qops):
            op, q, f, st = qo.spec, qo.q, qo.frac, self.state[i]
            if op.kind == "conv1x1":
                src = buf[op.src][:, : op.in_ch]
                if op.src == "head":  # int32 Q15 -> int16 at the calibrated format
                    src = sat(shift_round(src, Q15 - f["in"]), 16)
                acc = src @ q["w"].T + q.get("b", 0)  # bias stored at acc_frac
                buf[op.dst] = sat(shift_round(acc, f["acc"] - f["out"]), 16 if op.dst == "x" else 32)
            elif op.kind in ("nam_layer", "gated_layer"):
                xin = buf[op.src]
                # every product is already at acc_frac and the bias is stored at it (see _qsum)
                acc = _dilated(st, xin, q["conv_w"], op.dilation) + q["conv_b"]
                if "mix_w" in q:
                    acc = acc + buf[op.cond] @ q["mix_w"].T
                c = op.out_ch
                if op.gated:
                    t, s = tanh_acc(acc[:, :c], f["acc"]), sigmoid_acc(acc[:, c:], f["acc"])
                    z = shift_round(t * s, Q15)
                else:
                    z = tanh_acc(acc, f["acc"])
                if op.kind == "nam_layer":
                    head = buf["head"]
                    buf["head"] = z if head.shape[1] == 0 else head[:, :c] + z
                else:
                    skip = buf.setdefault("skip", np.zeros((n, 0), dtype=np.int64))
                    buf["skip"] = np.concatenate([skip[:, : op.skip_offset], z], axis=1)
                if "res_w" in q:
                    racc = z @ q["res_w"].T + shift_round(xin, f["in"] - f["res_acc"]) + q["res_b"]
                    buf[op.dst] = sat(shift_round(racc, f["res_acc"] - f["out"]), 16)
            elif op.kind in ("lstm", "gru"):
                buf[op.dst] = _rnn_q(qo, st, buf[op.src])
            elif op.kind == "output":
                v = shift_round(buf[op.src][:, 0] * q["scale"][0], f["scale"])
                y = sat(v + (buf["audio"][:, 0] if op.input_skip else 0), 16)
        return y

    def run(self, x: np.ndarray, block_size: int = 4096) -> np.ndarray:
        """A whole float clip ``(T, 1+K)`` from zero state; returns the float value of the Q15 output."""
        self.reset()
        xq = self.quantize_input(x)
        out = [self.process(xq[s : s + block_size]) for s in range(0, len(xq), block_size)]
        return np.concatenate(out) / 32768.0


def _rnn_q(qo: QOp, st: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    op, q, f = qo.spec, qo.q, qo.frac
    hd, out = op.out_ch, np.zeros((x.shape[0], op.out_ch), dtype=np.int64)
    h, c = st["h"], st["c"]
    if op.kind == "lstm":
        af = f["acc"]  # w_in·x, w_h·h and b are all at acc_frac (see quantize)
        u = x @ q["w_in"].T + q["b"]
        for t in range(x.shape[0]):
            a = u[t] + q["w_h"] @ h
            i, fg = sigmoid_acc(a[:hd], af), sigmoid_acc(a[hd : 2 * hd], af)
            g, o = tanh_acc(a[2 * hd : 3 * hd], af), sigmoid_acc(a[3 * hd :], af)
            c = sat(shift_round(fg * c + i * g, Q15), 32)  # int32 Q15
            h = sat(shift_round(o * tanh_acc(c, Q15), Q15), 16)
            out[t] = h
    else:
        af = f["acc"]  # w_in·x, b_in, w_h·h and b_h are all at acc_frac (see quantize)
        u = x @ q["w_in"].T + q["b_in"]
        for t in range(x.shape[0]):
            v = q["w_h"] @ h + q["b_h"]
            z = sigmoid_acc(u[t, :hd] + v[:hd], af)
            r = sigmoid_acc(u[t, hd : 2 * hd] + v[hd : 2 * hd], af)
            nn = tanh_acc(u[t, 2 * hd :] + shift_round(r * v[2 * hd :], Q15), af)
            h = sat(shift_round(z * h + (32768 - z) * nn, Q15), 16)
            out[t] = h
    st["h"], st["c"] = h, c
    return out
