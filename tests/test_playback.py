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


def test_run_notes_a_nearly_silent_target_and_not_a_played_one():
    """`m7amp run --target-wav` over a silent stretch (the first 0.5 s of the JVM clip 9: ESR 131 vs
    target) says the ESR measures noise; a guitar-level target gets no note."""
    from m7amp.commands.run import SILENT_TARGET_DBFS, silent_target_note

    rng = np.random.default_rng(0)
    hiss = 1e-3 * rng.standard_normal(24000)  # about -60 dBFS RMS
    note = silent_target_note(hiss, 48000)
    assert note is not None and "0.500 s" in note and "-60." in note and "noise floor" in note
    assert silent_target_note(np.zeros(480), 48000) is not None  # digital silence: -inf dBFS
    assert silent_target_note(np.zeros(0), 48000) is not None
    level = 10 ** ((SILENT_TARGET_DBFS + 1) / 20)  # just above the threshold (RMS of a constant = itself)
    assert silent_target_note(np.full(4800, level), 48000) is None
    assert silent_target_note(0.1 * np.sin(np.arange(48000) / 7), 48000) is None
