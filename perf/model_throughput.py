"""Measure and print the scoring speed of every baseline and the harness's overhead.

    python perf/model_throughput.py                   # every baseline, 500 test pairs
    python perf/model_throughput.py --items 2000 --models tfidf minilm word-rarity
    python perf/model_throughput.py --skip-throughput --cached-rerun   # + re-run time of minilm

Figures (issue 4's targets in brackets):

1. Items per second of each baseline on each scored task it supports (pairs for ``pair``,
   texts for ``detect``), on a stable subset of the test split, scored through
   the harness (``score_dataset``) without the score cache. Loading and fitting are timed
   apart; the rate counts scoring only, from a cold per-process memo.
2. Harness overhead for ``minilm`` [at most 10% over]: the harness's scoring time against a
   plain loop that encodes exactly the same texts with the same model
   (``SentenceTransformer.encode`` over the same 256-piece windows, the faster of batch 32
   and 8), and against a naive encode that truncates every text to one window (less work, fewer tokens read).
3. With ``--cached-rerun``: the wall time of ``bench eval --model minilm`` on the full test
   split when every score is in the score cache (the first run fills it if needed and is
   timed too; it takes about half an hour on 2 cores when the cache is cold).
4. With ``--align-full-split [DIR]``: ``bench eval --model minilm-align --task pair --no-cache``
   on the full test split (its result is written to DIR, default a temporary folder), wall time
   and sentences per second, against a plain ``SentenceTransformer.encode`` (batch 32) of the
   same distinct sentences, split as the baseline splits them (issue 15). About an hour of
   2-core CPU in all.

Run it on an idle machine: every figure is a wall-clock time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable


def _throughput(models: list[str], data, n_items: int) -> None:
    from rewrite_bench.models import resolve_model
    from rewrite_bench.runner import limit_items, score_dataset
    from rewrite_bench.tasks.detect import METADATA as DETECT
    from rewrite_bench.tasks.pair import METADATA as PAIR

    print(f"\n| model | task | load + fit (s) | scoring {n_items} items (s) | items/s |\n|---|---|---|---|---|")
    for name in models:
        for task in (PAIR, DETECT):
            if not resolve_model(name).supports(task):
                continue  # retrieval-only baselines: see perf/retrieval_scale.py
            splits = data.task(task.name)
            items = limit_items(splits["test"], n_items)
            t0 = time.perf_counter()
            model = resolve_model(name)
            if model.needs_fit():
                model.fit(task.name, splits["train"])
            model.score_batch(task, ["warm-up"], [["warm up the model"]] * len(task.inputs))  # loads weights
            load = time.perf_counter() - t0
            t0 = time.perf_counter()
            score_dataset(model, task, items, batch_size=64, progress=False, desc="")
            seconds = time.perf_counter() - t0
            print(f"| {name} | {task.name} | {load:.1f} | {seconds:.1f} | {len(items) / seconds:.1f} |", flush=True)


def _overhead(items, repeats: int) -> None:
    import statistics

    from rewrite_bench.baselines.neural import MiniLMCosine
    from rewrite_bench.models import resolve_model
    from rewrite_bench.runner import score_dataset
    from rewrite_bench.tasks.pair import METADATA as PAIR

    table = items.select_columns(["original", "candidate"]).to_dict()
    texts = list(dict.fromkeys(table["original"] + table["candidate"]))
    reference = MiniLMCosine()
    st = reference.encoder.model
    windows = [w for text in texts for w in reference.encoder.windows(text)]
    st.encode(["warm up the model"])

    def harness_run() -> None:
        model = resolve_model("minilm")  # a fresh model: its per-process memo of vectors is empty
        score_dataset(model, PAIR, items, batch_size=64, progress=False, desc="")

    # The same model, the same windows, a plain loop: the floor the harness is held to; the
    # library's default batch (the harness's rows per call too) and 8 (its rows per call before
    # issue 15). Runs are interleaved and repeated, and medians compared, because one timing
    # on a shared 2-core machine varies by +-15%.
    runs: dict[str, Callable[[], Any]] = {
        "harness scoring": harness_run,
        "plain encode, batch 32": lambda: st.encode(windows, batch_size=32, normalize_embeddings=True,
                                                    show_progress_bar=False),
        "plain encode, batch 8": lambda: st.encode(windows, batch_size=8, normalize_embeddings=True,
                                                   show_progress_bar=False),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    st.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    truncated = time.perf_counter() - t0
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nminilm on {len(items)} pairs ({len(texts)} distinct texts, {len(windows)} windows), "
          f"median of {repeats} interleaved runs:")
    for name, values in times.items():
        print(f"  {name:<24} {median[name]:6.1f} s  (runs: {', '.join(f'{v:.1f}' for v in values)})")
    harness = median["harness scoring"]
    for name in list(runs)[1:]:
        print(f"  harness overhead vs {name}: {100 * (harness / median[name] - 1):+.1f}% [target <= +10%]")
    print(f"  naive encode, one truncated window each: {truncated:.1f} s (reads only the first 256 pieces)")


def _cached_rerun(cache_dir: str | None) -> None:
    env = dict(os.environ, TQDM_DISABLE="1", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    with tempfile.TemporaryDirectory() as out:
        argv = [sys.executable, "-m", "rewrite_bench.cli", "eval", "--model", "minilm", "--task", "pair",
                "--output-dir", out,
                "--batch-size", "512", *(["--cache-dir", cache_dir] if cache_dir else [])]
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
    print(f"\nbench eval --model minilm --task pair, full test split: first run {times[0]:.1f} s, "
          f"re-run from the score cache {times[1]:.1f} s")


def _align_full_split(cache_dir: str | None, output_dir: str | None) -> None:
    from rewrite_bench.baselines.neural import MiniLMAlignment, text_sentences
    from rewrite_bench.build import BuildConfig, load_or_build
    from rewrite_bench.io import resolve_cache_dir

    items = load_or_build(resolve_cache_dir(cache_dir), BuildConfig()).task("pair")["test"]
    texts = list(dict.fromkeys(list(items["original"]) + list(items["candidate"])))
    sentences = list(dict.fromkeys(s for text in texts for s in text_sentences(text)))
    env = dict(os.environ, TQDM_DISABLE="1", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(output_dir or scratch)
        argv = [sys.executable, "-m", "rewrite_bench.cli", "eval", "--model", "minilm-align", "--task", "pair",
                "--no-cache", "--no-report", "--output-dir", str(out),
                *(["--cache-dir", cache_dir] if cache_dir else [])]
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
        process = time.perf_counter() - t0
        # The process also scores the dev split (for F1 thresholds) and computes metrics; the
        # result's own scoring time covers the test split alone, the same sentences as the plain encode.
        runtime = json.loads((out / "minilm-align" / "pair.json").read_text())["runtime_s"]
    model = MiniLMAlignment().encoder.model  # the same weights and window, outside the harness
    model.encode(["warm up the model"])
    t0 = time.perf_counter()
    model.encode(sentences, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    plain = time.perf_counter() - t0
    print(f"\nminilm-align, full pair test split: {len(items)} pairs, {len(texts)} distinct texts, "
          f"{len(sentences)} distinct sentences")
    scoring = runtime["scoring"]
    print(f"  bench eval --no-cache, whole process (load, test and dev scoring, metrics): {process:7.1f} s")
    print(f"  its scoring of the test split (result's runtime_s.scoring): {scoring:7.1f} s, "
          f"{len(sentences) / scoring:6.1f} sentences/s")
    print(f"  plain encode of the same sentences, batch 32: {plain:7.1f} s, {len(sentences) / plain:6.1f} sentences/s")
    print(f"  harness scoring / plain encode: {scoring / plain:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", default=None, help="data and score cache (default: the usual one)")
    parser.add_argument("--items", type=int, default=500, help="test pairs to score per model")
    parser.add_argument("--models", nargs="*", default=None, help="baselines to time (default: all registered)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per overhead timing (medians)")
    parser.add_argument("--skip-throughput", action="store_true", help="skip figures 1 and 2")
    parser.add_argument("--cached-rerun", action="store_true", help="also time a cached full-split minilm re-run")
    parser.add_argument("--align-full-split", nargs="?", const="", default=None, metavar="DIR",
                        help="also time minilm-align on the full pair test split without the score cache "
                             "(writes its result to DIR when given)")
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")

    from rewrite_bench.build import BuildConfig, load_or_build
    from rewrite_bench.io import resolve_cache_dir
    from rewrite_bench.registry import MODELS
    from rewrite_bench.runner import limit_items

    if not args.skip_throughput:
        data = load_or_build(resolve_cache_dir(args.cache_dir), BuildConfig())
        _throughput(args.models or list(MODELS), data, args.items)
        _overhead(limit_items(data.task("pair")["test"], args.items), args.repeats)
    if args.cached_rerun:
        _cached_rerun(args.cache_dir)
    if args.align_full_split is not None:
        _align_full_split(args.cache_dir, args.align_full_split or None)
    print(f"\nmachine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
