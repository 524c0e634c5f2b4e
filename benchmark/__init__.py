"""RewriteBench: labelled data, baselines and a harness for text-rewrite detection.

Importing this package is cheap: no network, no disk writes, no torch.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
