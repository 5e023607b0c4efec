"""PlayResult helpers: the integer audio format a firmware exchanges, as the reference hears it."""

from __future__ import annotations

import numpy as np

from m7amp.playback import quantize


def test_quantize_rounds_to_the_nearest_step_and_saturates():
    x = np.array([0.0, 1.0, -1.0, 1.5, 0.4 / 32768, 0.6 / 32768, -0.6 / 32768, 12345.4 / 32768], np.float32)
    q = quantize(x, 16)
    assert q.dtype == np.float32
    assert (q * 32768).tolist() == [0, 32767, -32768, 32767, 0, 1, -1, 12345]


def test_quantize_zero_bits_is_float32_unchanged():
    x = np.linspace(-1, 1, 7)
    assert np.array_equal(quantize(x, 0), x.astype(np.float32))
