"""A full cold rebuild of the default data: every rewrite and translation made from nothing.

Runs ``bench build --from-scratch`` in a fresh cache folder (so the translation cache starts
empty), and prints the wall time, the CPU time and the peak memory of the build. With
``--export-prebuilt DIR`` the build is also written as the shipped data (how maintainers
refresh ``benchmark/prebuilt`` after a change to the default build).

    python perf/cold_build.py                                   # temporary cache, removed after
    python perf/cold_build.py --cache /tmp/cold --export-prebuilt benchmark/prebuilt

Resuming: run it again with the same ``--cache`` after a kill; finished translations are kept.

``--record-edits DIR`` makes every rewrite of the shipped data in DIR again only to record its
edits (``rewrite_bench.build.record_shipped_edits``): the shipped measurements stay, the
meaning measurement (half of a cold build) is skipped, and DIR is rewritten with the edits.

    python perf/cold_build.py --cache /tmp/cold --record-edits benchmark/prebuilt

``--remeasure-meaning DIR`` measures the MiniLM cosine of every shipped rewrite in DIR again
(``rewrite_bench.build.remeasure_shipped_meaning``, after a change of how it is measured) and
writes what changed into DIR; texts, edits and the other measurements stay.

    python perf/cold_build.py --remeasure-meaning benchmark/prebuilt
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from rewrite_bench.build import (BuildConfig, export_prebuilt, load_or_build, record_shipped_edits,
                                 remeasure_shipped_meaning)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=None, help="cache folder (default: a new temporary one)")
    parser.add_argument("--export-prebuilt", type=Path, default=None, metavar="DIR")
    parser.add_argument("--record-edits", type=Path, default=None, metavar="DIR",
                        help="only remake the shipped rewrites in DIR to record their edits, and write them there")
    parser.add_argument("--remeasure-meaning", type=Path, default=None, metavar="DIR",
                        help="only measure the meaning of the shipped rewrites in DIR again, and write it there")
    args = parser.parse_args()
    if sum(a is not None for a in (args.record_edits, args.export_prebuilt, args.remeasure_meaning)) > 1:
        parser.error("--record-edits, --remeasure-meaning and --export-prebuilt each write DIR; give one")
    if args.remeasure_meaning is not None:
        started = time.perf_counter()
        changed = remeasure_shipped_meaning(prebuilt_dir=args.remeasure_meaning)
        print(f"measured the meaning of the shipped rewrites again in {(time.perf_counter() - started) / 60:.1f} min "
              f"wall; {len(changed)} cosines changed{' and were written' if changed else ''}:")
        for rewrite_id in changed[:50]:
            print(f"  {rewrite_id}")
        return

    cache = args.cache or Path(tempfile.mkdtemp(prefix="rewrite-bench-cold-"))
    started, cpu_started = time.perf_counter(), os.times()
    try:
        if args.record_edits is not None:
            report = record_shipped_edits(cache, prebuilt_dir=args.record_edits)
            print(f"recorded the edits of {report.n_rewrites - len(report.differences)} of {report.n_rewrites} shipped "
                  f"rewrites in {(time.perf_counter() - started) / 60:.1f} min wall; "
                  f"{len(report.differences)} came out differently and keep none:")
            for difference in report.differences:
                print(f"  {difference.id}: {difference.kind}: {difference.detail}")
            return
        data = load_or_build(cache, BuildConfig(), from_scratch=True, progress=True)
        wall = time.perf_counter() - started
        cpu = os.times()
        cpu_s = (cpu.user + cpu.system + cpu.children_user + cpu.children_system
                 - cpu_started.user - cpu_started.system - cpu_started.children_user - cpu_started.children_system)
        peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 2**20
        print(f"cold build: {wall / 60:.1f} min wall, {cpu_s / 60:.1f} CPU-min, peak memory of one process "
              f"{peak:.2f} GiB, {os.cpu_count()} CPUs; {len(data.rewrites())} rewrites of {len(data.originals())} "
              f"originals; fingerprint {data.fingerprint}")
        if args.export_prebuilt is not None:
            export_prebuilt(data, args.export_prebuilt)
            print(f"wrote the shipped data to {args.export_prebuilt}")
    finally:
        if args.cache is None:
            shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
