"""Keras amp models: NAM-style and Wright/Damskägg WaveNets, LSTM/GRU with input skip.

API (the contract between training, models and export):

- ``Preset``, ``WaveNetConfig``, ``RNNConfig``, ``ModelConfig``, ``load_config``, ``config_to_dict``,
  ``config_from_dict``, ``receptive_field``, ``macs_per_sample``, ``parameter_count``, ``state_floats``
  (pure Python, in ``_config``);
- ``build_model(config, n_knobs=0)`` -> ``keras.Model``;
- ``describe(model, config)`` -> the model's layers in execution order with their weights, the one walk
  shared by the C exporter, the numpy reference and the streaming TFLite builder.

Importing this package imports Keras (several seconds; command-line modules import it inside their
functions) and registers the custom layers, so ``keras.models.load_model("model.keras")`` works after
``import m7amp.models``.
"""

from __future__ import annotations

from m7amp.models._build import build_model
from m7amp.models._config import (
    PRESET_DIR,
    ModelConfig,
    Preset,
    RNNConfig,
    WaveNetConfig,
    config_from_dict,
    config_to_dict,
    load_config,
    macs_per_sample,
    parameter_count,
    receptive_field,
    state_floats,
)
from m7amp.models._describe import LayerSpec, describe
from m7amp.models._layers import Channels, GatedLayer, NamLayer, Scale

__all__ = [
    "PRESET_DIR",
    "Channels",
    "GatedLayer",
    "LayerSpec",
    "ModelConfig",
    "NamLayer",
    "Preset",
    "RNNConfig",
    "Scale",
    "WaveNetConfig",
    "build_model",
    "config_from_dict",
    "config_to_dict",
    "describe",
    "load_config",
    "macs_per_sample",
    "parameter_count",
    "receptive_field",
    "state_floats",
]
