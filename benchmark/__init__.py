"""RewriteBench: labelled data, baselines and a harness for text-rewrite detection.

    import rewrite_bench
    result = rewrite_bench.evaluate("tfidf", task="pair")   # a typed rewrite_bench.schema.Result
    print(result.metrics["auroc"])

Importing this package is cheap: no network, no disk writes, no torch (the API imports what a
call needs when it is called).
"""
from __future__ import annotations

__version__ = "0.1.0"

from rewrite_bench.api import evaluate, load_data, load_task  # noqa: E402  (after __version__, which api's callees read)

__all__ = ["__version__", "evaluate", "load_data", "load_task"]
