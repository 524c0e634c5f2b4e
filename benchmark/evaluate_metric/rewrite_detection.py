"""RewriteBench detection metrics as a Hugging Face ``evaluate`` metric module.

Load it offline from the file itself::

    import evaluate
    from rewrite_bench.metrics import evaluate_module_path
    metric = evaluate.load(evaluate_module_path())
    metric.compute(predictions=scores, references=labels, f1_threshold=0.5)

It only adapts :func:`rewrite_bench.metrics.compute_metrics`, so both report the same numbers.
``evaluate.load`` copies this file into its module cache, so ``rewrite_bench`` is imported when the
metric runs, not by a top-level import line (evaluate would otherwise try to check it as a
pip dependency). Keep ``import datasets`` and ``import evaluate`` on separate lines: evaluate's
dependency scan reads one module name per import line.
"""
from __future__ import annotations

from types import ModuleType

import datasets
import evaluate

_DESCRIPTION = (
    "Detection metrics of RewriteBench, a benchmark for text-rewrite (article spinning) "
    "detection. Given one score per item (higher means 'derived from a rewrite') and a 0/1 "
    "label, it reports AUROC (ties count one half), average precision, the true-positive rate "
    "at 1% and 5% false-positive rate (threshold taken from the negatives, strict '>'), F1 and "
    "accuracy at thresholds chosen beforehand on a dev split, and a stratified percentile "
    "bootstrap 95% interval for AUROC. No result depends on the order of the items."
)

_CITATION = """\
@misc{rewritebench,
  title = {RewriteBench: an evaluation benchmark for text-rewrite detection},
  note  = {Software, version 0.1.0. Metrics implemented in benchmark/metrics.py}
}
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of float): one finite score per item; higher means positive.
    references (list of int): 0 (not derived) or 1 (derived from a rewrite), one per item.
    f1_threshold (float, optional): items with score >= it are called positive for F1.
        Choose it on a dev split (rewrite_bench.metrics.best_threshold). F1 is None without it.
    accuracy_threshold (float, optional): the same for accuracy.
    n_resamples (int, default 1000): bootstrap resamples for the AUROC interval; 0 leaves the
        interval out.
    seed (int, default 0): seed of the bootstrap.
Returns:
    auroc, ap, tpr_at_1pct_fpr, tpr_at_5pct_fpr, f1, accuracy (float or None),
    auroc_ci95 ([low, high], when n_resamples > 0), n_positive, n_negative (int).
    With only one class present every score metric is None.
Examples:
    >>> metric = evaluate.load(rewrite_bench.metrics.evaluate_module_path())
    >>> metric.compute(predictions=[0.1, 0.4, 0.35, 0.8], references=[0, 0, 1, 1])["auroc"]
    0.75
"""


def _metrics_module() -> ModuleType:
    """``rewrite_bench.metrics`` from the installed RewriteBench package."""
    try:
        from rewrite_bench import metrics
    except ImportError:
        raise ImportError("the rewrite_detection metric needs the RewriteBench package 'rewrite_bench': "
                          "install it with `pip install -e <repository>`") from None
    return metrics


class RewriteDetection(evaluate.Metric):
    """RewriteBench detection metrics (see ``rewrite_bench.metrics.compute_metrics``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            module_type="metric",
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Value("float64"),
                    "references": datasets.Value("int32"),
                }
            ),
            reference_urls=[],
        )

    def _compute(
        self,
        predictions,
        references,
        f1_threshold=None,
        accuracy_threshold=None,
        n_resamples=1000,
        seed=0,
    ):
        metrics = _metrics_module()
        thresholds = None
        if f1_threshold is not None or accuracy_threshold is not None:
            thresholds = metrics.Thresholds(
                f1=None if f1_threshold is None else float(f1_threshold),
                accuracy=None if accuracy_threshold is None else float(accuracy_threshold),
                source_split=None,
            )
        return metrics.compute_metrics(
            predictions,
            references,
            thresholds,
            n_resamples=max(int(n_resamples), 1),
            seed=int(seed),
            with_ci=int(n_resamples) > 0,
        )
