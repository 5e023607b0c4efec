"""Fixtures shared by the training tests: the tiny model and fast learning configs as files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.test_train import FAST, TINY_LSTM, TINY_WAVENET


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with tiny.toml (a small WaveNet), lstm.toml and fast.toml (a short learning config)."""
    d = tmp_path_factory.mktemp("cfg")
    (d / "tiny.toml").write_text(TINY_WAVENET)
    (d / "lstm.toml").write_text(TINY_LSTM)
    (d / "fast.toml").write_text(FAST)
    return d
