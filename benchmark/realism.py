"""How close a rewriter comes to real neural spinners: the real-spinner region and the realism map.

A real spun copy of an article changes about half its words and keeps under a tenth of its
word 5-grams, yet keeps its meaning. The figures below were measured with this project's own
statistics (``rewrite_bench.text``, and the card's MiniLM cosine: all-MiniLM-L6-v2, first 256
word pieces, unit vectors) on a random sample of 300 article-length texts and their rewrites
by a commercial neural paraphrasing spinner (six modes), and on one real content-farm copy
of a news opinion article. A rewriter is realistic when its rewrites fall where those do;
matching that distribution, not tuning against a detector, is what makes the benchmark hard.

Every constant lives here; the dataset card and the leaderboard's "hard" column cite them.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

__all__ = ["Region", "REAL_SPINNER_REGION", "REAL_SPINNER_SHARE_IN_REGION", "REAL_SPINNER_PERCENTILES", "REAL_SPINNER_MODES",
           "REAL_CONTENT_FARM_COPY", "REALISM_SOURCE", "RealismPoint", "in_region", "meaning_cosines",
           "realism_rows", "plot_realism_map"]


@dataclass(frozen=True)
class Region:
    """A box in (word change rate, word 5-gram containment, MiniLM cosine) space."""

    min_change: float
    max_containment: float
    min_cosine: float

    def describe(self) -> str:
        return (f"word change rate >= {self.min_change:.2f}, word 5-gram containment <= "
                f"{self.max_containment:.2f}, MiniLM cosine >= {self.min_cosine:.2f}")


#: Where real neural-spinner rewrites live: a lot of rewording, little verbatim text, the meaning kept.
REAL_SPINNER_REGION = Region(min_change=0.40, max_containment=0.15, min_cosine=0.90)
#: Share of the 300 real neural-spinner rewrites inside :data:`REAL_SPINNER_REGION`.
REAL_SPINNER_SHARE_IN_REGION = 0.40
#: Percentiles (p10, p25, median, p75, p90) of the real neural-spinner sample, per statistic.
REAL_SPINNER_PERCENTILES: Mapping[str, tuple[float, float, float, float, float]] = {
    "word_change_rate": (0.29, 0.39, 0.50, 0.65, 0.79),
    "ngram5_containment": (0.00, 0.03, 0.08, 0.16, 0.26),
    "length_ratio": (0.59, 0.88, 0.96, 1.03, 1.32),
    "minilm_cosine": (0.84, 0.89, 0.93, 0.95, 0.97),
}
#: Medians (word change rate, 5-gram containment, MiniLM cosine) of the real sample per spinner
#: mode, and what is known of each mode's length ratio.
REAL_SPINNER_MODES: Mapping[str, tuple[float, float, float, str]] = {
    "standard": (0.55, 0.05, 0.93, "about 1"),
    "fluency": (0.41, 0.14, 0.96, "about 1"),
    "formal": (0.41, 0.14, 0.95, "about 1"),
    "creative": (0.65, 0.04, 0.90, "about 1"),
    "shorten": (0.67, 0.05, 0.91, "well below 1"),
    "expand": (0.41, 0.11, 0.92, "above 1"),
}
#: The real content-farm copy of a news opinion article (neural spinner, then republished).
REAL_CONTENT_FARM_COPY: Mapping[str, float] = {
    "word_change_rate": 0.48, "ngram5_containment": 0.075, "length_ratio": 0.88, "minilm_cosine": 0.97}
REALISM_SOURCE = ("300 random article-length texts and their rewrites by a commercial neural paraphrasing "
                  "spinner (six modes), and one real content-farm copy of a news opinion article, measured "
                  "with this project's statistics")


@dataclass(frozen=True)
class RealismPoint:
    """One rewrite's position: how much it changed its source and how much meaning it kept."""

    rewriter: str
    strength: str
    word_change_rate: float
    ngram5_containment: float
    minilm_cosine: float


def meaning_cosines(source: str, texts: Sequence[str]) -> list[float]:
    """The meaning coordinate of each of ``texts``: its MiniLM cosine to ``source`` (first 256
    word pieces, unit vectors), rounded to 4 places.

    Every text is encoded on its own (a batch of one, no padding), so its number depends on
    the text alone: not on which other rewrites are measured with it, in which order, in which
    process or with how many threads (a row of a batch can change in its last float bit with
    the batch's shape, and the 4th place of a cosine with it). A rewrite measured while it is
    made, in a later build that adds one rewriter, or by ``bench build --verify`` gets the
    same number. One by one is as fast on a CPU as batches of 32 (19.0 against 19.1 texts/s on
    2 threads, 320 rewrites of the default build): most rewrites fill the 256 pieces, so there
    is no padding to save, and a batch's larger matrices buy nothing on 1-2 cores.
    """
    from rewrite_bench.embeddings import embed

    if not texts:
        return []
    anchor = embed([source], batch_size=1)[0]
    vectors = embed(list(texts), batch_size=1)
    return [round(float(anchor @ v), 4) for v in vectors]


def in_region(change: float, containment: float, cosine: float, region: Region = REAL_SPINNER_REGION) -> bool:
    """Whether a rewrite with these statistics lies in ``region`` (bounds included)."""
    return change >= region.min_change and containment <= region.max_containment and cosine >= region.min_cosine


def realism_rows(points: Iterable[RealismPoint], region: Region = REAL_SPINNER_REGION) -> list[dict[str, object]]:
    """Per rewriter and strength: count, medians of the three statistics, share inside ``region``."""
    from rewrite_bench.types import STRENGTHS

    groups: dict[tuple[str, str], list[RealismPoint]] = {}
    for point in points:
        groups.setdefault((point.rewriter, point.strength), []).append(point)

    def order(key: tuple[str, str]) -> tuple[str, int, str]:
        return key[0], STRENGTHS.index(key[1]) if key[1] in STRENGTHS else len(STRENGTHS), key[1]

    rows = []
    for (rewriter, strength), members in sorted(groups.items(), key=lambda kv: order(kv[0])):
        inside = sum(in_region(p.word_change_rate, p.ngram5_containment, p.minilm_cosine, region) for p in members)
        rows.append({
            "rewriter": rewriter, "strength": strength, "n": len(members),
            "median_change": statistics.median(p.word_change_rate for p in members),
            "median_containment": statistics.median(p.ngram5_containment for p in members),
            "median_cosine": statistics.median(p.minilm_cosine for p in members),
            "share_in_region": inside / len(members),
        })
    return rows


def plot_realism_map(points: Sequence[RealismPoint], path: Path, region: Region = REAL_SPINNER_REGION) -> None:
    """A scatter of change against containment, MiniLM cosine as colour, the region drawn.

    One marker per (rewriter, strength) median, sized by strength, plus the real spinners'
    median and the content-farm copy; written as a PNG with fixed fonts and no timestamp, so
    the same points give the same bytes.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Rectangle

    rows = realism_rows(points, region)
    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8, "svg.hashsalt": "rewritebench"})
    fig, ax = plt.subplots(figsize=(7.5, 5.0), dpi=100)
    ax.add_patch(Rectangle((region.min_change, 0.0), 1.0 - region.min_change, region.max_containment,
                           facecolor="#e8f4e8", edgecolor="#2a7a2a", linewidth=1.0, zorder=0,
                           label=f"real-spinner region (cosine >= {region.min_cosine:.2f})"))
    sizes = {"light": 25, "medium": 50, "heavy": 90}
    scatter = ax.scatter([r["median_change"] for r in rows], [r["median_containment"] for r in rows],
                         c=[r["median_cosine"] for r in rows], s=[sizes.get(str(r["strength"]), 40) for r in rows],
                         cmap="viridis", vmin=0.75, vmax=1.0, edgecolors="black", linewidths=0.4, zorder=3)
    for row in rows:
        if row["strength"] == "heavy" or len({r["strength"] for r in rows if r["rewriter"] == row["rewriter"]}) == 1:
            ax.annotate(str(row["rewriter"]), (row["median_change"], row["median_containment"]),
                        textcoords="offset points", xytext=(4, 3), fontsize=6.5, zorder=4)
    real = REAL_SPINNER_PERCENTILES
    ax.scatter([real["word_change_rate"][2]], [real["ngram5_containment"][2]], marker="*", s=160,
               c=[real["minilm_cosine"][2]], cmap="viridis", vmin=0.75, vmax=1.0, edgecolors="red",
               linewidths=1.0, zorder=5, label="real neural spinners (median)")
    farm = REAL_CONTENT_FARM_COPY
    ax.scatter([farm["word_change_rate"]], [farm["ngram5_containment"]], marker="X", s=80,
               c=[farm["minilm_cosine"]], cmap="viridis", vmin=0.75, vmax=1.0, edgecolors="red",
               linewidths=1.0, zorder=5, label="real content-farm copy")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("word change rate (median per rewriter and strength)")
    ax.set_ylabel("word 5-gram containment")
    ax.set_title("Realism map: markers light < medium < heavy by size")
    fig.colorbar(scatter, ax=ax, label="MiniLM cosine to the source")
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
