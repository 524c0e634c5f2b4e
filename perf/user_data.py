"""Measure and print how ``bench eval --data`` scales: load time, eval time, peak memory.

    python perf/user_data.py                       # 10,000 and 100,000 pairs
    python perf/user_data.py --sizes 10000         # just the 10k file

For each size, a JSONL file of that many pairs is written (the built-in ``pair`` items of all
splits, cycled, each with its own id), and then:

1. load time: ``load_user_data`` into an empty cache (reading, checking and converting every
   row to Arrow) and again with the conversion cached;
2. ``bench eval --model tfidf --task pair --data FILE --no-cache`` in a fresh process: its
   wall time, its own ``runtime_s`` (fitting on the built-in train split, scoring), its peak
   resident memory (``ru_maxrss`` of that process alone, which counts the pages of the
   memory-mapped data that were read) and its peak heap (``RssAnon`` from /proc, sampled
   every 50 ms: the memory that can run out).

Issue 6's figures: load and eval time on 10,000 pairs, and peak memory on 100,000 pairs,
whose heap should stay close to the 10,000-pair figure (texts are streamed and memory-mapped).
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


def _write_pairs(path: Path, n: int, data) -> float:
    """``n`` pair items as JSONL at ``path``; returns the file's size in MB."""
    parts = [data.task("pair")[split].select_columns(["id", "original", "candidate", "label"]) for split in
             ("train", "dev", "test")]
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < n:
            for part in parts:
                for batch in part.iter(batch_size=1000):
                    for item_id, original, candidate, label in zip(batch["id"], batch["original"],
                                                                  batch["candidate"], batch["label"]):
                        if written == n:
                            return path.stat().st_size / 1e6
                        handle.write(json.dumps({"id": f"{written:06d}-{item_id}", "original": original,
                                                 "candidate": candidate, "label": label}) + "\n")
                        written += 1
    return path.stat().st_size / 1e6


def _anon_kb(pid: int) -> int | None:
    """The process's anonymous resident memory (heap, not file pages), from /proc; None if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _timed_eval(source: Path, out: Path, cache: Path) -> tuple[float, int, int | None, dict]:
    """Wall seconds, peak RSS (KB), peak anonymous RSS (KB) and the results' runtime_s of one eval."""
    env = dict(os.environ, TQDM_DISABLE="1", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    argv = [sys.executable, "-m", "rewrite_bench.cli", "eval", "--model", "tfidf", "--task", "pair",
            "--data", str(source), "--no-cache", "--output-dir", str(out), "--cache-dir", str(cache)]
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty child never blocks
        t0 = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        # ru_maxrss counts the pages of the memory-mapped data too (file pages the kernel can
        # drop at will); the heap is what must stay flat, so sample RssAnon while it runs.
        peak_anon: int | None = None
        # Poll without reaping (WNOWAIT), so that wait4 below still gets the child's rusage.
        while os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            anon = _anon_kb(process.pid)
            if anon is not None:
                peak_anon = max(peak_anon or 0, anon)
            time.sleep(0.05)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak RSS
        seconds = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"bench eval failed:\n{errors.read().decode(errors='replace')}")
    result = json.loads((out / "tfidf" / f"pair@{source.stem}.json").read_text())
    return seconds, usage.ru_maxrss, peak_anon, result["runtime_s"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000], help="pairs per file")
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")

    from rewrite_bench.build import BuildConfig, load_or_build
    from rewrite_bench.io import resolve_cache_dir
    from rewrite_bench.userdata import load_user_data

    data = load_or_build(resolve_cache_dir(None), BuildConfig())
    print("| pairs | file (MB) | load, cold (s) | load, cached (s) | eval wall (s) | fit (s) | scoring (s) "
          "| pairs/s scored | peak RSS (MB) | peak heap (RssAnon, MB) |\n|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for n in args.sizes:
            source = Path(scratch) / f"pairs-{n}.jsonl"
            size_mb = _write_pairs(source, n, data)
            cache = Path(scratch) / f"cache-{n}"
            t0 = time.perf_counter()
            load_user_data(str(source), "pair", cache_dir=cache)
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            load_user_data(str(source), "pair", cache_dir=cache)
            cached = time.perf_counter() - t0
            # A scratch cache that shares the built data, so the big conversion is not left behind.
            eval_cache = Path(scratch) / f"eval-cache-{n}"
            eval_cache.mkdir()
            (eval_cache / "data").symlink_to(resolve_cache_dir(None) / "data", target_is_directory=True)
            wall, peak_kb, anon_kb, runtime = _timed_eval(source, Path(scratch) / f"out-{n}", eval_cache)
            anon = f"{anon_kb / 1024:.0f}" if anon_kb is not None else "?"
            print(f"| {n:,} | {size_mb:.0f} | {cold:.1f} | {cached:.2f} | {wall:.1f} | {runtime['fit']:.1f} | "
                  f"{runtime['scoring']:.1f} | {n / runtime['scoring']:.0f} | {peak_kb / 1024:.0f} | {anon} |", flush=True)
    print(f"\nmachine: {os.cpu_count()} cores, python {sys.version.split()[0]}; eval wall time includes "
          f"start-up, the first conversion of the file and loading the built-in data to fit tfidf on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
