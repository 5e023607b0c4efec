"""Model packages: ``export_package`` turns a training run into model.keras, TFLite variants, C sources for
the hand-written engine, golden vectors and metadata.json (docs/model-package.md).

TensorFlow is imported inside the functions, so importing this package stays fast.
"""

from __future__ import annotations

from m7amp.export._package import export_package, load_run

__all__ = ["export_package", "load_run"]
