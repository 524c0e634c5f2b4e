"""Measure and print RewriteBench's speed figures (targets from the issues in brackets).

    python perf/figures.py                 # everything, cold build in a fresh temp cache
    python perf/figures.py --cache-dir D   # reuse a cache (the build is then warm)

Figures: `bench --help` start-up time [well under 1 s], cold build time [< 5 min on 2 cores],
and per-baseline `bench eval` wall time on the full test split once built [tfidf < 30 s].
Every figure is a wall-clock time of the real command in a subprocess.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", default=None, help="cache to use (default: a fresh temporary one)")
    parser.add_argument("--models", nargs="*", default=None, help="baselines to time (default: all registered)")
    args = parser.parse_args()

    from rewrite_bench.registry import MODELS

    env = dict(os.environ, TQDM_DISABLE="1", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    bench = [sys.executable, "-m", "rewrite_bench.cli"]
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache_dir or str(Path(scratch) / "cache")
        out = str(Path(scratch) / "results")

        help_times = [timed([*bench, "--help"], env) for _ in range(5)]
        print(f"bench --help: median {statistics.median(help_times):.3f} s over 5 runs")

        build_s = timed([*bench, "build", "--cache-dir", cache], env)
        print(f"bench build ({'cold' if args.cache_dir is None else 'as found'}): {build_s:.1f} s")

        print("\n| model | bench eval wall time (s), full test split, data cached |\n|---|---|")
        for model in args.models or list(MODELS):
            seconds = timed([*bench, "eval", "--model", model, "--cache-dir", cache, "--output-dir", out], env)
            print(f"| {model} | {seconds:.1f} |")
    print(f"\nmachine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
