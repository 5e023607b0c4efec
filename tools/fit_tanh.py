"""Fit the odd rational tanh approximation of firmware/engines/cmsis/src/m7_act_f32.c.

tanh(x) ~ x*P(s)/Q(s), s = x*x, on [0, CLAMP], with Q(0) = 1. The fit is our own: a linearised weighted
least-squares (Sanathanan-Koerner) followed by Lawson re-weighting towards the minimax of the absolute
error, all in float64 with numpy. It prints the float32 coefficients as C and the float64 model error.

Usage: .venv/bin/python tools/fit_tanh.py [num_degree_in_s den_degree_in_s]
"""

from __future__ import annotations

import sys

import numpy as np

CLAMP = 9.0  # tanh(x) rounds to 1.0f for x above about 9.01, so the fit needs only [0, 9]


def fit(m: int, n: int, iters: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients p[0..m], q[0..n] (q[0] = 1), lowest power of s first."""
    k = np.arange(4000)
    x = CLAMP * 0.5 * (1 - np.cos(np.pi * (k + 0.5) / len(k)))  # Chebyshev nodes on [0, CLAMP]
    t = np.tanh(x)
    u = (x / CLAMP) ** 2  # scaled s in [0, 1] keeps the system well conditioned
    a_p = x[:, None] * u[:, None] ** np.arange(m + 1)
    a_q = -t[:, None] * u[:, None] ** np.arange(1, n + 1)
    a = np.hstack([a_p, a_q])
    q_prev = np.ones_like(x)
    lawson = np.ones_like(x) / len(x)
    for i in range(iters):
        w = np.sqrt(lawson) / q_prev  # SK: divide the linearised residual by the previous Q
        c, *_ = np.linalg.lstsq(a * w[:, None], t * w, rcond=None)
        p, q = c[: m + 1], np.concatenate([[1.0], c[m + 1:]])
        q_prev = np.polyval(q[::-1], u)
        err = np.abs(x * np.polyval(p[::-1], u) / q_prev - t)
        if i >= 10:  # Lawson: grow the weights where the error is large
            lawson = lawson * err
            lawson /= lawson.sum()
    scale = CLAMP ** -(2.0 * np.arange(max(m, n) + 1))  # back from u = s / CLAMP^2 to s
    return p * scale[: m + 1], q * scale[: n + 1]


def main() -> int:
    m, n = (int(v) for v in sys.argv[1:3]) if len(sys.argv) >= 3 else (6, 3)
    p, q = fit(m, n)
    x = np.linspace(0.0, CLAMP, 200001)
    pf, qf = p.astype(np.float32).astype(np.float64), q.astype(np.float32).astype(np.float64)
    s = x * x
    err = np.max(np.abs(x * np.polyval(p[::-1], s) / np.polyval(q[::-1], s) - np.tanh(x)))
    err32 = np.max(np.abs(x * np.polyval(pf[::-1], s) / np.polyval(qf[::-1], s) - np.tanh(x)))
    assert np.all(np.polyval(qf[::-1], s) > 0), "Q has a root in range"
    print(f"/* fit degrees {m}/{n}: max |err| {err:.3e} (float64 coeffs), {err32:.3e} (float32 coeffs) */")
    for name, c in (("P", p), ("Q", q)):
        print(", ".join(f"{np.float32(v)!r}f".replace("np.float32(", "").replace(")", "") for v in c)
              + f"  /* {name} */")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
