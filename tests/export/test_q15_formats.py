"""The q15 export's formats make int32 SMLAD accumulation exact: every product of a sum is already in the
accumulator's format, the bias is stored in it, and the worst case over all int16 inputs fits int32."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from m7amp.export._reference import ACC_MAX, Q15, X_MAX, QOp, frac_for, quantize
from tests.export.conftest import TINY
from tests.export.test_reference import _ops

SUMS = {  # sum -> (its weight arrays with the format of what they multiply, bias, residual x term)
    "acc": ((("conv_w", "in"), ("mix_w", Q15)), "conv_b", False),
    "res_acc": ((("res_w", Q15),), "res_b", True),
}


def _worst_cases(qo: QOp) -> dict[str, float]:
    """The largest |sum| of each int32 sum of a WaveNet op over all int16 inputs, checking its formats."""
    f, q, out = qo.frac, qo.q, {}
    for acc, (terms, bias, x_term) in SUMS.items():
        if acc not in f:
            continue
        rows = 0.0
        for w, v in terms:
            if w in q:
                assert f[w] + (f[v] if isinstance(v, str) else v) == f[acc], (qo.spec.kind, w)
                rows = rows + X_MAX * np.abs(q[w]).reshape(q[w].shape[0], -1).sum(axis=1)
        if bias in q:
            assert f[bias] == f[acc]
            rows = rows + np.abs(q[bias])
        if x_term:
            rows = rows + X_MAX * 2.0 ** (f[acc] - f["in"])
        out[acc] = float(np.max(rows))
    return out


@pytest.mark.parametrize("family", ["nam", "gated"])
def test_every_sum_is_aligned_and_cannot_overflow(family, run_dirs) -> None:
    ops = _ops(run_dirs[family], family)
    with np.load(run_dirs[family] / "data.npz") as npz:
        qops = quantize(ops, npz["rep_x"])
    checked = 0
    for qo in qops:
        if qo.spec.kind in ("nam_layer", "gated_layer", "conv1x1"):
            if qo.spec.kind == "conv1x1":
                assert qo.frac["w"] + qo.frac["in"] == qo.frac["acc"]
                assert "b" not in qo.q or qo.frac["b"] == qo.frac["acc"]
                worst = X_MAX * np.abs(qo.q["w"]).sum(axis=1) + np.abs(qo.q.get("b", 0))
                assert float(np.max(worst)) <= ACC_MAX
            for value in _worst_cases(qo).values():
                assert value <= ACC_MAX
            checked += 1
    assert checked >= len(TINY[family][0].dilations[0])


def test_large_weights_lower_the_accumulator_format_until_the_sum_fits(run_dirs) -> None:
    ops = _ops(run_dirs["nam"], "nam")
    i = next(k for k, op in enumerate(ops) if op.kind == "nam_layer")
    base = quantize(ops, None)[i]
    # 40 large weights per row: the largest format of each array alone would overflow int32
    big = dataclasses.replace(ops[i], weights=ops[i].weights | {"conv_w": ops[i].weights["conv_w"] * 0 + 0.9})
    qo = quantize([*ops[:i], big, *ops[i + 1 :]], None)[i]
    assert qo.frac["acc"] < base.frac["acc"]
    assert qo.frac["conv_w"] < frac_for(0.9)  # below the format the array alone allows
    assert _worst_cases(qo)["acc"] <= ACC_MAX
    # one format more would not fit: the format is the largest that is safe
    rows = X_MAX * np.abs(np.round(big.weights["conv_w"] * 2.0 ** (qo.frac["conv_w"] + 1))).reshape(
        big.out_ch * (2 if big.kind == "gated_layer" else 1), -1).sum(axis=1)
    assert float(np.max(rows)) > ACC_MAX


@pytest.mark.parametrize("family", ["gru", "lstm"])
def test_rnn_gate_sums_are_aligned_and_cannot_overflow(family, run_dirs) -> None:
    ops = _ops(run_dirs[family], family)
    with np.load(run_dirs[family] / "data.npz") as npz:
        qo = next(q for q in quantize(ops, npz["rep_x"]) if q.spec.kind == family)
    f, q = qo.frac, qo.q
    assert f["w_in"] + Q15 == f["w_h"] + Q15 == f["acc"]
    biases = ["b_in", "b_h"] if family == "gru" else ["b"]
    assert all(f[b] == f["acc"] for b in biases)
    worst = X_MAX * (np.abs(q["w_in"]).sum(axis=1) + np.abs(q["w_h"]).sum(axis=1)) + sum(
        np.abs(q[b]) for b in biases)
    assert float(np.max(worst)) <= ACC_MAX  # u + v (GRU) or the whole gate sum (LSTM) fits int32
