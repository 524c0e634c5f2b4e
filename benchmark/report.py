"""A static HTML report of stored results: tables, ROC and recall@k curves, slice heatmaps, examples.

``bench report`` writes one ``index.html`` plus PNG files into a folder; it needs no server, no
JavaScript and no network, so it opens from disk in any browser. The figures are pure
functions (results + labels -> PNG bytes) and byte-stable: Agg backend, DejaVu Sans, fixed
sizes, no timestamp or software tag in the files. The page comes from a Jinja2 template with
autoescaping on, since the example texts come from data.

Labels and texts are not in the results: they come from the built data (:func:`items_from_build`,
checked against each result's task fingerprint) and, for the real-world tracks, from the vendored
files (:func:`rewrite_bench.tracks.track_rows`).
"""
from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from rewrite_bench.results import read_predictions
from rewrite_bench.shapes import registered_task, shape_of, task_of_record

if TYPE_CHECKING:
    from rewrite_bench.schema import Result

__all__ = ["Items", "roc_png", "recall_at_k_png", "heatmap_png", "heatmap_columns", "examples",
           "items_from_build", "items_from_track", "write_report", "build_report", "ReportSummary", "FIGURE_RC",
           "leaderboard_figures", "render_leaderboard_with_figures"]

#: Matplotlib settings every figure is drawn with (fixed fonts, so the same results give the same bytes).
FIGURE_RC: Mapping[str, Any] = {"font.family": "DejaVu Sans", "font.size": 8, "svg.hashsalt": "rewritebench",
                                "axes.titlesize": 9, "legend.fontsize": 7}
#: Slice keys shown in the heatmaps, in this order (absent ones are left out).
HEATMAP_KEYS: tuple[str, ...] = ("rewriter", "strength", "negative_kind", "rewriter_seen")
#: Examples shown per model and kind (worst-scored positives, best-scored negatives).
N_EXAMPLES = 5
#: Characters of each text shown in an example.
TEXT_CHARS = 300


# --------------------------------------------------------------------------- figures


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update(FIGURE_RC)
    return plt


def _png(fig: Any) -> bytes:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def roc_png(curves: Sequence[tuple[str, Any, Any]], title: str) -> bytes:
    """ROC curves of several models on one plot, FPR on a log axis with 1% and 5% marked.

    ``curves``: (label, labels 0/1, scores) per model, drawn in the given order. FPR 0 cannot be
    shown on a log axis; the curve starts at the first point with FPR > 0, the axis at 1e-4
    (or one over the number of negatives, if larger, but never above 0.5%).
    """
    from sklearn.metrics import roc_curve

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=100)
    smallest = 1.0
    for name, labels, scores in curves:
        labels = np.asarray(labels)
        fpr, tpr, _ = roc_curve(labels, np.asarray(scores, dtype=np.float64))
        keep = fpr > 0
        ax.plot(fpr[keep], tpr[keep], linewidth=1.2, label=name)
        smallest = min(smallest, 1.0 / max(1, int((labels == 0).sum())))
    ax.set_xscale("log")
    ax.set_xlim(min(0.005, max(1e-4, smallest)), 1.0)  # 1% FPR always in view
    ax.set_ylim(0.0, 1.005)
    for fpr_mark in (0.01, 0.05):
        ax.axvline(fpr_mark, color="grey", linestyle="--", linewidth=0.8)
        ax.text(fpr_mark, 0.02, f" {fpr_mark:.0%} FPR", color="grey", fontsize=7)
    ax.set_xlabel("false positive rate (log scale)")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.grid(True, which="major", linewidth=0.3)
    ax.legend(loc="lower right", ncol=1 if len(curves) <= 8 else 2)
    fig.tight_layout()
    return _png(fig)


def recall_at_k_png(curves: Sequence[tuple[str, Any]], title: str, k_max: int = 100) -> bytes:
    """Recall@k for k = 1..``k_max`` per model; ``curves``: (label, ranks of the queries that have a
    source: the source's 1-based rank, 0 when it is not among the results)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    ks = np.arange(1, k_max + 1)
    for name, ranks in curves:
        ranks = np.asarray(ranks)
        found = ranks[ranks > 0]
        recall = np.searchsorted(np.sort(found), ks, side="right") / max(1, len(ranks))
        ax.plot(ks, recall, linewidth=1.2, label=name, drawstyle="steps-post")
    ax.set_xscale("log")
    ax.set_xlim(1, k_max)
    ax.set_ylim(0.0, 1.005)
    ax.set_xlabel("k (log scale)")
    ax.set_ylabel("recall@k (queries with a source)")
    ax.set_title(title)
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return _png(fig)


def heatmap_columns(records: Sequence["Result"], keys: Sequence[str] = HEATMAP_KEYS
                    ) -> list[tuple[str, str]]:
    """The (slice key, value) columns of a heatmap: every value any record has, keys in ``keys`` order."""
    return [(key, value) for key in keys
            for value in sorted({row.value for r in records for row in r.slices if row.slice == key})]


def heatmap_png(records: Sequence["Result"], title: str, unseen: Iterable[str] = (),
                keys: Sequence[str] = HEATMAP_KEYS) -> bytes:
    """The main score (AUROC, or MRR for retrieval) of every model (rows, best first) on every slice
    value of ``keys`` (columns), from the slice rows of the results; rewriters in ``unseen`` are
    marked with a * and an "unseen" bracket."""
    plt = _pyplot()
    main = records[0].task.main_score
    ordered = sorted(records, key=lambda r: (-(r.metrics[main] or 0.0), r.model.slug))
    columns = heatmap_columns(ordered, keys)
    unseen = set(unseen)
    matrix = np.full((len(ordered), len(columns)), np.nan)
    for i, record in enumerate(ordered):
        values = {(row.slice, row.value): row.score(main) for row in record.slices}
        for j, column in enumerate(columns):
            value = values.get(column)
            matrix[i, j] = np.nan if value is None else value
    width = max(6.0, 1.2 + 0.42 * len(columns))
    fig, ax = plt.subplots(figsize=(width, 2.8 + 0.3 * len(ordered)), dpi=100)
    finite = matrix[np.isfinite(matrix)]
    low = float(np.floor(min(0.5, finite.min() if finite.size else 0.5) * 10) / 10)
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap="RdYlGn", vmin=low, vmax=1.0, aspect="auto")
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if np.isfinite(matrix[i, j]):
                ax.text(j, i, f"{matrix[i, j]:.3f}", ha="center", va="center", fontsize=5)
    labels = [f"{value}*" if key == "rewriter" and value in unseen else str(value) for key, value in columns]
    ax.set_xticks(range(len(columns)), labels, rotation=60, ha="right", fontsize=6.5)
    ax.set_yticks(range(len(ordered)), [r.model.name for r in ordered], fontsize=7)
    for tick, (key, value) in zip(ax.get_xticklabels(), columns):
        if key == "rewriter" and value in unseen:
            tick.set_color("#b00020")
    # Group separators and names above the columns.
    start = 0
    for key in dict.fromkeys(k for k, _ in columns):
        count = sum(1 for k, _ in columns if k == key)
        if start:
            ax.axvline(start - 0.5, color="black", linewidth=1.0)
        ax.text(start + (count - 1) / 2, -0.7, key.replace("_", " "), ha="center", va="bottom", fontsize=7)
        start += count
    note = " (* red: unseen rewriter, test only)" if any(k == "rewriter" and v in unseen for k, v in columns) else ""
    ax.set_title(f"{title}{note}", pad=18)
    fig.colorbar(image, ax=ax, label=main.upper(), fraction=0.03, pad=0.01)
    fig.tight_layout()
    return _png(fig)


# --------------------------------------------------------------------------- items and examples


@dataclass(frozen=True)
class Items:
    """The labelled items of one evaluated split: ids and labels, their texts fetched on demand."""

    ids: Sequence[str]
    labels: np.ndarray
    texts: Callable[[Sequence[int]], list[dict[str, str]]]
    """Positions -> one {field: text} per position (e.g. original and candidate)."""
    unseen: frozenset[str] = field(default=frozenset())

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], text_fields: Sequence[str],
                  unseen: Iterable[str] = ()) -> "Items":
        rows = list(rows)
        return cls([str(r["id"]) for r in rows], np.array([int(r["label"]) for r in rows]),
                   lambda positions: [{f: str(rows[p][f]) for f in text_fields} for p in positions],
                   frozenset(unseen))


def items_from_build(data: Any, task: str, split: str) -> Items:
    """One split of a built task: ids and labels read at once, texts only for the examples shown."""
    dataset = data.task(task)[split]
    table = dataset.select_columns(["id", "label"]).to_dict()
    registered = registered_task(task)
    fields = registered.inputs if registered is not None else ()
    unseen: set[str] = set()
    if "rewriter_seen" in dataset.column_names:
        seen = dataset.select_columns(["rewriter", "rewriter_seen"]).to_dict()
        unseen = {r for r, s in zip(seen["rewriter"], seen["rewriter_seen"]) if s == "unseen"}

    def texts(positions: Sequence[int]) -> list[dict[str, str]]:
        chosen = dataset.select(list(positions)).select_columns(list(fields)).to_dict()
        return [{f: chosen[f][n] for f in fields} for n in range(len(positions))]

    return Items(table["id"], np.asarray(table["label"]), texts, frozenset(unseen))


def items_from_track(track: Any) -> Items:
    """The evaluated split of a real-world track, from its vendored files."""
    from rewrite_bench.tracks import track_rows

    rows = [{"id": r.id, "label": r.label, "original": r.original, "candidate": r.candidate}
            for r in track_rows(track, track.test_split)]
    return Items.from_rows(rows, ("original", "candidate"))


def _truncate(text: str, chars: int = TEXT_CHARS) -> str:
    return text if len(text) <= chars else text[:chars].rstrip() + " …"


def examples(items: Items, scores: np.ndarray, n: int = N_EXAMPLES,
             ranks: np.ndarray | None = None) -> dict[str, list[dict[str, Any]]]:
    """A model's ``n`` lowest-scored positives and ``n`` highest-scored negatives (ties by id), with
    their texts truncated: what fools it."""
    order = np.lexsort((np.asarray(items.ids), scores))  # by score, then id
    positives = [int(p) for p in order if items.labels[p] == 1][:n]
    negatives = [int(p) for p in order[::-1] if items.labels[p] == 0][:n]
    out = {}
    for kind, chosen in (("worst_positives", positives), ("best_negatives", negatives)):
        texts = items.texts(chosen) if chosen else []
        out[kind] = [{"id": items.ids[p], "score": float(scores[p]),
                      "rank": None if ranks is None else int(ranks[p]),
                      "texts": {k: _truncate(v) for k, v in t.items()}} for p, t in zip(chosen, texts)]
    return out


# --------------------------------------------------------------------------- markdown tables -> cells


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


def _blocks(lines: Sequence[str]) -> list[dict[str, Any]]:
    """Generated markdown (leaderboard, track and validity sections) as blocks for the template:
    headings, tables (cells) and paragraphs; the text stays text (the template escapes it)."""
    blocks: list[dict[str, Any]] = []
    table: Table | None = None
    for line in lines:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if table is None:
                table = Table(cells, [])
                blocks.append({"kind": "table", "table": table})
            elif not re.fullmatch(r"\|(-+\|)+", line.strip()):
                table.rows.append(cells)
            continue
        table = None
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            blocks.append({"kind": "heading", "level": min(6, level + 1), "text": line.lstrip("#").strip()})
        elif line.strip():
            blocks.append({"kind": "paragraph", "text": line.strip()})
    return blocks


def _code(text: str) -> Any:
    """Escape ``text``, then show its `backticked` parts (from generated markdown) as code."""
    from markupsafe import Markup, escape

    return Markup(re.sub(r"`([^`<>]+)`", r"<code>\1</code>", str(escape(text))))


# --------------------------------------------------------------------------- the site


@dataclass
class ReportSummary:
    """What :func:`write_report` wrote and left out."""

    index: Path
    figures: list[str]
    skipped: list[str]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _group_key(record: "Result") -> tuple[str, str | None, str, str]:
    task = record.task
    return task.name, task.split, task.version, task.fingerprint


def _figures(stem: str, heading: str, records: Sequence["Result"], items: Items, skipped: list[str],
             with_examples: bool = True) -> tuple[dict[str, tuple[bytes, str]], list[dict[str, Any]]]:
    """One group's figures (file name -> (PNG, alt text)): ROC (of has-source for retrieval), recall@k
    for retrieval, the slice heatmap; and, per model, what fools it. ``records`` in display order."""
    main = records[0].task.main_score
    shape = shape_of(task_of_record(records[0]))
    retrieval = shape.has_ranks
    position = {item_id: p for p, item_id in enumerate(items.ids)}
    curves, recall_curves, model_examples = [], [], []
    for record in records:
        rows = read_predictions(record)
        chosen = np.array([position[i] for i in rows if i in position], dtype=np.int64)
        missing = len(rows) - len(chosen)
        if missing:
            skipped.append(f"{record.where}: {missing} predicted ids are not items of the loaded data; "
                           f"left out of the figures")
            continue
        sub = Items([items.ids[p] for p in chosen], items.labels[chosen],
                    lambda positions, chosen=chosen: items.texts([int(chosen[p]) for p in positions]))
        scores = np.array([float(row["score"]) for row in rows.values()])
        ranks = np.array([int(row["rank_of_source"]) for row in rows.values()]) if retrieval else None
        label = record.model.name + (f" {record.model.args}" if record.model.args else "")
        if len(set(sub.labels.tolist())) == 2:
            curves.append((label, sub.labels, scores))
        if ranks is not None:
            recall_curves.append((label, ranks[sub.labels == 1]))
        if with_examples:
            model_examples.append({"model": label, **examples(sub, scores, ranks=ranks)})
    drawn: dict[str, tuple[bytes, str]] = {}
    if curves:
        what = shape.roc_title
        drawn[f"{stem}-roc.png"] = (roc_png(curves, f"{heading}: {what} curves"), f"{what} curves of {heading}")
    if recall_curves:
        drawn[f"{stem}-recall.png"] = (recall_at_k_png(recall_curves, f"{heading}: recall@k"),
                                       f"recall@k curves of {heading}")
    if any(heatmap_columns(records)):
        drawn[f"{stem}-heatmap.png"] = (heatmap_png(records, f"{heading}: {main.upper()} per slice", unseen=items.unseen),
                                        f"{main.upper()} per model and slice, {heading}")
    return drawn, model_examples


def write_report(records: Sequence["Result"], out_dir: Path, *,
                 items_for: Callable[["Result"], "Items | str"],
                 realism_png: bytes | None = None, track_lines: Sequence[str] = (),
                 title: str = "RewriteBench report", source: str = "results/") -> ReportSummary:
    """Write ``out_dir/index.html`` and its figures for ``records`` (built-in and track results).

    ``items_for(record)`` gives the labelled items a record was scored on, or a reason (str) to
    leave the record out (e.g. made on other data); the page lists what it left out and why.
    ``track_lines`` are the leaderboard's real-world track and validity sections (markdown).
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    from rewrite_bench.leaderboard import _table
    from rewrite_bench.registry import TASKS

    out_dir.mkdir(parents=True, exist_ok=True)
    figures: dict[str, bytes] = {}
    skipped: list[str] = []
    groups: dict[tuple[str | None, ...], list[tuple["Result", Items]]] = defaultdict(list)
    item_cache: dict[tuple[str | None, ...], Items | str] = {}
    for record in records:
        key = (*_group_key(record), (record.data.name or "") if record.is_track else "")
        if key not in item_cache:
            item_cache[key] = items_for(record)
        items = item_cache[key]
        if isinstance(items, str):
            skipped.append(f"{record.where}: {items}")
            continue
        groups[key].append((record, items))

    sections = []
    order = {name: n for n, name in enumerate(TASKS)}  # the registry's order, as on the leaderboard
    for key in sorted(groups, key=lambda k: (k[4] != "", order.get(k[0], 9), k[4], k)):
        name, split, version, fingerprint, track = key
        members = groups[key]
        recs = [r for r, _ in members]
        items = members[0][1]
        main = recs[0].task.main_score
        recs_sorted = sorted(recs, key=lambda r: (-(r.metrics[main] or 0.0), r.model.slug))
        stem = _slug(f"{name}-{track}" if track else (name if split == "test" else f"{name}-{split}"))
        heading = f"Track {track}" if track else f"Task {name} (version {version}), {split} split"
        drawn, model_examples = _figures(stem, heading, recs_sorted, items, skipped)
        figures.update({file: payload for file, (payload, _) in drawn.items()})
        section: dict[str, Any] = {"id": stem, "heading": heading, "fingerprint": fingerprint,
                                   "table": _blocks(_table(recs_sorted, task_of_record(recs[0]).leaderboard_slices
                                                           if not track
                                                           else (("kind",) if any(row.slice == "kind" for row in recs[0].slices)
                                                                 else ())))[0]["table"],
                                   "figures": [{"file": file, "alt": alt} for file, (_, alt) in drawn.items()],
                                   "examples": model_examples,
                                   "retrieval": shape_of(task_of_record(recs[0])).has_ranks}
        sections.append(section)

    if realism_png is not None:
        figures["realism.png"] = realism_png
    env = Environment(loader=PackageLoader("rewrite_bench", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["code"] = _code
    html = env.get_template("report.html.j2").render(
        title=title, source=source, sections=sections, skipped=skipped,
        realism="realism.png" if realism_png is not None else None, tracks=_blocks(track_lines))
    for name, payload in figures.items():
        (out_dir / name).write_bytes(payload)
    index = out_dir / "index.html"
    index.write_text(html, encoding="utf-8")
    return ReportSummary(index, sorted(figures), skipped)


def build_report(records: Sequence["Result"], out_dir: Path, data: Any | None, *, with_tracks: bool = True,
                 title: str = "RewriteBench report", source: str = "results/") -> ReportSummary:
    """The report of ``records`` against the built ``data`` (labels, texts, realism map) and the
    vendored tracks: results on other data than ``data`` (or on built-in data when ``data`` is None)
    are left out, with a note."""
    from rewrite_bench.tracks import TRACKS, track_fingerprint

    track_prints: dict[str, str] = {}

    def items_for(record: "Result") -> Items | str:
        kind = record.data.kind
        if kind == "track":
            track = TRACKS.get(record.data.track or "")
            if track is None:
                return f"no track named {record.data.track!r} in this version"
            if track.name not in track_prints:
                track_prints[track.name] = track_fingerprint(track)
            if record.task.fingerprint != track_prints[track.name]:
                return f"made on an older version of track {track.name!r}; re-run it"
            return items_from_track(track)
        if kind != "built-in":
            return "on a user's data set (--data), whose labels the report does not read"
        name = record.task.name
        if data is None:
            return "no built data loaded for the built-in tasks"
        if data.task_fingerprints.get(name) != record.task.fingerprint:
            return (f"made on other data (task fingerprint {record.task.fingerprint[:12]}..., the loaded "
                    f"build has {str(data.task_fingerprints.get(name))[:12]}...)")
        return items_from_build(data, name, record.task.split)

    realism_png = None
    if data is not None and (data.path / "realism.png").is_file():
        realism_png = (data.path / "realism.png").read_bytes()  # the build's card drew it
    track_lines: list[str] = []
    if with_tracks:
        from rewrite_bench.validity import render_track_sections

        lines = render_track_sections(list(records))
        # The per-track tables are drawn with the other sections; the validity part is added as it is.
        start = next((n for n, line in enumerate(lines) if line.startswith("## Validity")), len(lines))
        track_lines = lines[start:]
    return write_report(records, out_dir, items_for=items_for,
                        realism_png=realism_png,
                        track_lines=track_lines, title=title, source=source)


# --------------------------------------------------------------------------- leaderboard.md's figures


def leaderboard_figures(records: Sequence["Result"], data: Any
                        ) -> dict[tuple[str, str], dict[str, tuple[bytes, str]]]:
    """The figures of each leaderboard section on ``data`` ((task, task fingerprint) -> file name ->
    (PNG, alt text)): the ROC curves (and recall@k for retrieval) and the slice heatmap of its
    models. Sections made on other data than ``data`` get none (their labels are not at hand)."""
    from rewrite_bench.leaderboard import eligible

    groups: dict[tuple[str, str, str], list["Result"]] = defaultdict(list)
    for record in records:
        if eligible(record):
            groups[(record.task.name, record.task.version, record.task.fingerprint)].append(record)
    out: dict[tuple[str, str], dict[str, tuple[bytes, str]]] = {}
    for (name, version, fingerprint), members in sorted(groups.items()):
        if data.task_fingerprints.get(name) != fingerprint:
            continue
        main = members[0].task.main_score
        ordered = sorted(members, key=lambda r: (-(r.metrics[main] or 0.0), r.model.slug))
        drawn, _ = _figures(_slug(name), f"Task {name} (version {version}), test split", ordered,
                            items_from_build(data, name, "test"), [], with_examples=False)
        out[(name, fingerprint)] = drawn
    return out


def render_leaderboard_with_figures(records: Sequence["Result"], data: Any, figures_dir: Path,
                                    out_file: Path, source: str = "results/") -> tuple[str, dict[Path, bytes]]:
    """``leaderboard.md`` with each section's figures embedded (linked relative to ``out_file``), and
    the figure files to write under ``figures_dir`` (path -> PNG bytes). Nothing is written here."""
    import os

    from rewrite_bench.leaderboard import render_leaderboard

    files: dict[Path, bytes] = {}
    links: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for key, drawn in leaderboard_figures(records, data).items():
        for name, (payload, alt) in drawn.items():
            files[figures_dir / name] = payload
            links.setdefault(key, []).append(
                (alt, Path(os.path.relpath(figures_dir / name, out_file.parent)).as_posix()))
    return render_leaderboard(records, source=source, figures=links), files
