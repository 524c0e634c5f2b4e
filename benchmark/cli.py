"""The ``bench`` command line: list, build, eval, leaderboard, report.

Only argparse and the lazy registry are imported at start-up, so ``bench --help`` is instant;
each command imports what it needs when it runs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from rewrite_bench import __version__
from rewrite_bench.shapes import format_score as _fmt
from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    from rewrite_bench.schema import Result, SliceRow

__all__ = ["main", "build_parser"]

_EPILOG = """\
examples:
  bench list                                   registered tasks and models
  bench build                                  build the data (cached) and print its fingerprint
  bench eval --model tfidf                     score a baseline on every task (test split)
  bench eval --model mypkg.scorers:score       score your own function f(originals, candidates)
  bench eval --model shingle --model-arg n=5 --limit 200
  bench eval --model tfidf --task pair --data my-pairs.jsonl --dev-data my-dev.jsonl
                                               score a model on your own labelled data
  bench eval --model tfidf --track real        score a model on every real-world track (human rewrites)
  bench leaderboard                            regenerate leaderboard.md from results/
  bench report                                 write a static HTML report of results/ to report/index.html
"""


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str | None:
        # Show a default only where there is one to show (not None, [] or a switch's False).
        if action.default in (None, [], False) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir", metavar="DIR", default=None,
                        help="where built data are cached (default: $REWRITE_BENCH_CACHE or ~/.cache/rewrite-bench)")
    parser.add_argument("--max-originals", metavar="N", type=int, default=None,
                        help="build a small benchmark with at most N originals per split and domain "
                             "(smoke runs; such results never enter the leaderboard)")
    parser.add_argument("--rewriter", action="append", metavar="SPEC", default=[],
                        help="add your own rewriter (package.module:attr, or a chain a+b) to the build as an "
                             "unseen, test-only rewriter (repeatable); see README for the protocol")


def _add_executor_args(parser: argparse.ArgumentParser, work: str) -> None:
    group = parser.add_argument_group("where the work runs (see docs/scale.md)")
    group.add_argument("--executor", metavar="local|ray[:ADDRESS]", default="local",
                       help=f"local: this machine; ray: {work} on Ray, started here, or on the cluster at "
                            f"ADDRESS (auto, HOST:6379, ray://HOST:10001); results are the same either way. "
                            f'Needs pip install -e ".[ray]"')
    group.add_argument("--ray-workers", type=int, metavar="N", default=None,
                       help="with --executor ray: scoring actors, and the CPUs of a Ray started here "
                            "(default: one per CPU)")
    group.add_argument("--ray-gpus", type=float, metavar="G", default=None,
                       help="with --executor ray: GPUs each scoring actor asks for (e.g. 1, or 0.5 to share one)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench", formatter_class=_Formatter, epilog=_EPILOG,
        description="RewriteBench: evaluate text-rewrite (article spinning) detectors.")
    parser.add_argument("--version", action="version", version=f"rewrite-bench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser("list", help="list the registered tasks, models and rewriters", formatter_class=_Formatter,
                        epilog="example:\n  bench list")

    build = commands.add_parser("build", help="build the benchmark data (or find it cached)", formatter_class=_Formatter,
                                epilog="examples:\n  bench build\n  bench build --cache-dir /tmp/rb --max-originals 5\n"
                                       "  bench build --rewriter my_spinners:SynonymSpinner\n"
                                       "  bench build --verify --sample 40     rebuild 40 originals' rewrites, compare\n"
                                       "  bench build --from-scratch --executor ray:auto   rewrite on a Ray cluster\n"
                                       "  bench build --export-prebuilt benchmark/prebuilt   (maintainers)")
    _add_data_args(build)
    _add_executor_args(build, "one task per batch of rewrites")
    shipped = build.add_argument_group("the shipped data (the default build's originals and rewrites, see README)")
    shipped.add_argument("--from-scratch", action="store_true",
                         help="run every rewriter instead of using the shipped data (into <cache-dir>/scratch; "
                              "resumable: finished translations are cached)")
    shipped.add_argument("--verify", action="store_true",
                         help="rebuild from scratch and compare with the shipped data item by item; exit code 1 "
                              "if anything differs")
    shipped.add_argument("--sample", type=int, metavar="N", default=None,
                         help="with --verify: rebuild only the rewrites of N stable, hash-chosen originals")
    shipped.add_argument("--export-prebuilt", metavar="DIR", default=None,
                         help="write the build's originals and rewrites as the shipped data to DIR (maintainers, after "
                              "a change to the default plan: only the changed rewriters run; with --from-scratch, all)")

    ev = commands.add_parser("eval", help="score a model on the benchmark's tasks", formatter_class=_Formatter,
                             epilog="examples:\n  bench eval --model tfidf\n"
                                    "  bench eval --model char-tfidf --task pair --output-dir my-results\n"
                                    "  bench eval --model mypkg.scorers:MyScorer --model-arg threshold=0.3\n"
                                    "  bench eval --model sentence-transformers/all-MiniLM-L6-v2\n"
                                    "  bench eval --model ./my-cross-encoder --model-arg batch_size=8\n"
                                    "  bench eval --model predictions:my-scores.jsonl\n"
                                    "  bench eval --model shingle --limit 200 --batch-size 16\n"
                                    "  bench eval --model minilm --task pair --executor ray:auto --ray-gpus 1\n"
                                    "  bench eval --model tfidf --task pair --data msr_paraphrase_test.txt "
                                    "--dev-data msr_paraphrase_train.txt\n"
                                    "  bench eval --model word-rarity --task detect --data spun.csv "
                                    "--columns text=body,label=is_spun --slice-by site")
    ev.add_argument("--model", required=True, metavar="MODEL",
                    help="a registered baseline (see `bench list`); package.module:attr naming a function "
                         "f(originals, candidates) -> list[float], an object with score_pairs(...), or a class; "
                         "a model directory or Hugging Face Hub id (bi-encoder or cross-encoder); or "
                         "predictions:FILE.jsonl with one {\"id\", \"score\"} object per line")
    ev.add_argument("--task", action="append", metavar="TASK", default=None,
                    help="task to run (repeatable; default: every task the model supports)")
    ev.add_argument("--split", default=None, choices=("train", "dev", "test"),
                    help="split of the built-in data to evaluate; if omitted, test")
    ev.add_argument("--limit", type=int, metavar="N", default=None,
                    help="score only N items (a stable subset); such runs never enter the leaderboard")
    ev.add_argument("--batch-size", type=int, metavar="N", default=64, help="items per model call")
    ev.add_argument("--output-dir", metavar="DIR", default="bench-results",
                    help="where results are written (the committed leaderboard results are regenerated with "
                         "--output-dir results)")
    ev.add_argument("--model-arg", action="append", metavar="KEY=VALUE", default=[],
                    help="option passed to the model (repeatable; values parsed as JSON when possible), "
                         "e.g. batch_size=16, max_length=256, device=cuda, pooling=mean, kind=cross-encoder")
    ev.add_argument("--no-cache", action="store_true",
                    help="neither read nor write the score cache (<cache-dir>/scores)")
    ev.add_argument("--no-report", action="store_true",
                    help="do not write the run's HTML report (<output-dir>/<model>/report/index.html)")
    ev.add_argument("--trust-remote-code", action="store_true",
                    help="allow a Hub or directory model to run its own Python code (only for models you trust)")
    _add_data_args(ev)
    _add_executor_args(ev, "items scored by actors that each load the model once")
    own = ev.add_argument_group("your own data (task pair or detect; see README, 'Bring your own data')")
    own.add_argument("--data", metavar="SOURCE", default=None,
                     help="evaluate on SOURCE instead of the built-in data: a .jsonl/.csv/.tsv/.txt/.parquet file, "
                          "a directory saved with datasets' save_to_disk, or a Hub dataset id (online only)")
    own.add_argument("--dev-data", metavar="SOURCE", default=None,
                     help="other labelled data (same columns) to choose the F1/accuracy thresholds on; "
                          "without it those metrics are left out")
    own.add_argument("--columns", metavar="MAP", default=None,
                     help="map schema fields to your columns, e.g. original=colA,candidate=colB,label=colC,id=colD")
    own.add_argument("--slice-by", action="append", metavar="COLUMN", default=[],
                     help="report metrics per value of this column too (repeatable)")
    own.add_argument("--format", choices=("plain", "mrpc", "paws"), default=None,
                     help="read SOURCE as MRPC's or PAWS's TSV, or as the plain schema; if omitted, recognised "
                          "from the header")
    own.add_argument("--data-name", metavar="NAME", default=None,
                     help="name in the results path <output-dir>/<model>/<task>@NAME.json; if omitted, the file's stem")
    own.add_argument("--data-split", metavar="SPLIT", default=None,
                     help="split of a DatasetDict directory or Hub dataset for --data; if omitted, test")
    own.add_argument("--dev-data-split", metavar="SPLIT", default=None,
                     help="split of a DatasetDict directory or Hub dataset for --dev-data; if omitted, test")

    real = ev.add_argument_group("real-world tracks (task pair; see README, 'Real-world tracks')")
    real.add_argument("--track", action="append", metavar="NAME", default=[],
                      help="evaluate on a vendored real-world track instead of the built-in data (repeatable): "
                           "clough-stevenson, pan-pc10, paws-wiki, or real for all of them; results go to "
                           "<output-dir>/<model>/pair@NAME.json")

    board = commands.add_parser("leaderboard", help="regenerate leaderboard.md from results", formatter_class=_Formatter,
                                epilog="examples:\n  bench leaderboard --results results --out leaderboard.md\n"
                                         "  bench leaderboard --results results --data msr_paraphrase_test --out mrpc.md")
    board.add_argument("--results", metavar="DIR", default="results", help="results directory to read")
    board.add_argument("--out", metavar="FILE", default=None,
                       help="markdown file to write (default: leaderboard.md, or leaderboard@NAME.md with --data)")
    board.add_argument("--data", metavar="NAME", default=None,
                       help="instead, a table of the results on your data set NAME (from bench eval --data)")
    board.add_argument("--cache-dir", metavar="DIR", default=None,
                       help="where built data are cached: the figures (<results>/figures/*.png) read the default "
                            "build's labels (default: $REWRITE_BENCH_CACHE or ~/.cache/rewrite-bench)")

    show = commands.add_parser("show", help="show one rewrite beside its source, every edit marked; or one item "
                                            "of a span task with its gold spans and a model's",
                               formatter_class=_Formatter,
                               epilog="examples:\n  bench show news-bg-0042~paraphrase~heavy\n"
                                      "  bench show news-bg-0042~paraphrase+web-noise~medium --color always | less -R\n"
                                      "  bench show 'news-bg-0042|heavy|news-bg-0042~paraphrase~medium' --model fact-diff")
    show.add_argument("rewrite_id", metavar="ID",
                      help="a rewrite of the build (ORIGINAL~REWRITER~STRENGTH), or an item of a span task "
                           "(align, distortion; ids contain '|')")
    show.add_argument("--model", metavar="NAME", default=None,
                      help="with a span item: run this model on it and mark its spans against the gold")
    show.add_argument("--model-arg", metavar="KEY=VALUE", action="append", default=[],
                      help="an argument of --model (repeatable)")
    _add_data_args(show)
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="mark edits in colour (auto: when writing to a terminal) or with brackets")

    report = commands.add_parser("report", help="write a static HTML report (tables, ROC curves, heatmaps, examples)",
                                 formatter_class=_Formatter,
                                 epilog="examples:\n  bench report                 then open report/index.html\n"
                                        "  bench report --results results --out /tmp/site")
    report.add_argument("--results", metavar="DIR", default="results", help="results directory to read")
    report.add_argument("--out", metavar="DIR", default="report",
                        help="folder to write index.html and its figures into")
    _add_data_args(report)
    return parser


def _cmd_list() -> int:
    from rewrite_bench.registry import MODELS, REWRITERS, TASKS

    for title, table in (("tasks", TASKS), ("models", MODELS), ("rewriters", REWRITERS)):
        print(f"{title}:")
        width = max(len(name) for name in table)
        for entry in table.values():
            print(f"  {entry.name:<{width}}  {entry.description}")
    from rewrite_bench.build import DEFAULT_PLAN

    chains = [entry.spec for entry in DEFAULT_PLAN if "+" in entry.spec]
    print("chains: any rewriters joined with '+' run in turn, each at the same strength "
          f"(--rewriter a+b); the default build has {', '.join(chains)}")
    return 0


def _build_config(args: argparse.Namespace) -> Any:
    from rewrite_bench.build import BuildConfig

    if args.max_originals is not None and args.max_originals < 1:
        raise BenchError(f"--max-originals must be >= 1, got {args.max_originals}.")
    return BuildConfig(max_originals=args.max_originals, extra_rewriters=tuple(args.rewriter))


def _load_data(args: argparse.Namespace, from_scratch: bool = False) -> Any:
    from rewrite_bench.build import load_or_build
    from rewrite_bench.io import resolve_cache_dir

    return load_or_build(resolve_cache_dir(args.cache_dir), _build_config(args), from_scratch=from_scratch)


def _cmd_build(args: argparse.Namespace) -> int:
    if args.sample is not None and not args.verify:
        raise BenchError("--sample picks the originals --verify rebuilds; add --verify.")
    if args.verify:
        return _verify_build(args)
    data = _load_data(args, from_scratch=args.from_scratch)
    if args.export_prebuilt is not None:
        from rewrite_bench.build import export_prebuilt

        export_prebuilt(data, Path(args.export_prebuilt))
        print(f"wrote the shipped data to {args.export_prebuilt}")
    print(f"data: {data.path}")
    for name, fingerprint in sorted(data.task_fingerprints.items()):
        print(f"task {name}: {fingerprint}")
    print(f"fingerprint: {data.fingerprint}")
    return 0


def _verify_build(args: argparse.Namespace) -> int:
    from collections import Counter

    from rewrite_bench.build import verify_against_prebuilt
    from rewrite_bench.io import resolve_cache_dir

    report = verify_against_prebuilt(resolve_cache_dir(args.cache_dir), _build_config(args), sample=args.sample)
    print(f"compared {report.n_rewrites} shipped rewrites of {len(report.originals)} originals "
          f"({'a sample' if args.sample else 'every original'}) with a rebuild on this machine")
    if not report.differences:
        print("no differences: the rebuild is the shipped data, item for item")
        return 0
    by_kind = Counter((d.kind, d.id.split("~")[1] if "~" in d.id else "original") for d in report.differences)
    print(f"{len(report.differences)} differ:")
    for (kind, rewriter), count in sorted(by_kind.items()):
        print(f"  {count} x {kind} ({rewriter})")
    for difference in report.differences[:20]:
        print(f"  {difference.id}: {difference.kind}: {difference.detail}")
    if len(report.differences) > 20:
        print(f"  ... and {len(report.differences) - 20} more")
    return 1


def _where(result: "Result") -> str:
    """The split of the built-in data, or the user's data set or track, a result is on."""
    if result.is_track:
        return f"track {result.data.name}"
    return f"data {result.data.name}" if result.is_user_data else str(result.task.split)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _summary_table(results: Sequence["Result"]) -> str:
    """One table per task shape in the run, with the columns that shape's tasks report."""
    from rewrite_bench.shapes import SHAPES, shape_of, task_of_record

    shapes = [shape_of(task_of_record(r)) for r in results]
    tables = []
    for shape in SHAPES.values():
        rows = [[r.task.name, _where(r) + (" (limited)" if r.limited else ""), *shape.run_cells(r)]
                for r, of in zip(results, shapes) if of is shape]
        if rows:
            tables.append(_table(["task", "split or data", *shape.run_columns()], rows))
    return "\n\n".join(tables)


def _slice_table(result: "Result") -> str:
    from rewrite_bench.shapes import shape_of, task_of_record

    shape = shape_of(task_of_record(result))
    on = f" ({_where(result)})" if result.is_user_data or result.is_track else ""
    rows = [[row.slice, str(row.value), f"{row.n_positive}/{row.n_negative}", *shape.slice_cells(row)]
            for row in result.slices]
    return f"Slices of task {result.task.name}{on}:\n\n" + _table(["slice", "value", "n (+/-)",
                                                                            *shape.slice_columns()], rows)


_OWN_DATA_OPTIONS = ("dev_data", "columns", "format", "data_name", "data_split", "dev_data_split")


def _check_track_options(args: argparse.Namespace) -> list[Any]:
    """The tracks --track names (none without it); options that do not fit a track fail before any work."""
    if not args.track:
        return []
    from rewrite_bench.tracks import TRACK_TASK, resolve_tracks

    if args.data is not None:
        raise BenchError("--track and --data both choose the data to evaluate; give one of them.")
    if args.task and set(args.task) != {TRACK_TASK}:
        raise BenchError(f"--track: the real-world tracks are {TRACK_TASK} data; use --task {TRACK_TASK} or drop "
                         f"--task (got {sorted(set(args.task))}).")
    if args.split is not None:
        raise BenchError("--split picks a split of the built-in data; a track evaluates its own test split "
                         "(thresholds from its dev split), so drop --split.")
    return resolve_tracks(args.track)


def _check_data_options(args: argparse.Namespace) -> None:
    """Options that only make sense with --data (and the other way round) fail before any work."""
    if args.data is None:
        given = [f"--{o.replace('_', '-')}" for o in _OWN_DATA_OPTIONS if getattr(args, o) is not None]
        given += ["--slice-by"] if args.slice_by else []
        if given:
            raise BenchError(f"{', '.join(given)}: only used with --data SOURCE (your own data); add --data or drop them.")
        return
    from rewrite_bench.userdata import SCHEMAS

    if not args.task or len(set(args.task)) != 1 or args.task[0] not in SCHEMAS:
        raise BenchError("--data needs exactly one task: " + " or ".join(
            f"--task {name} ({', '.join(schema.fields[:-1])})" for name, schema in SCHEMAS.items()) + ".")
    if args.dev_data_split is not None and args.dev_data is None:
        raise BenchError("--dev-data-split picks a split of --dev-data; add --dev-data SOURCE.")
    if args.split is not None:
        raise BenchError("--split picks a split of the built-in data; with --data the whole SOURCE is evaluated "
                         "(--data-split picks a split of a DatasetDict directory or Hub dataset).")


def _eval_user_data(args: argparse.Namespace, model: Any, task: Any, score_cache_dir: Path | None) -> Any:
    from rewrite_bench.io import resolve_cache_dir
    from rewrite_bench.results import refuse_to_replace_other_data
    from rewrite_bench.runner import evaluate_user_data
    from rewrite_bench.userdata import SCHEMAS, load_user_data, parse_columns

    cache_dir = resolve_cache_dir(args.cache_dir)
    options = dict(cache_dir=cache_dir, columns=parse_columns(args.columns, task.name), fmt=args.format)
    data = load_user_data(args.data, task.name, slice_by=args.slice_by, name=args.data_name, split=args.data_split,
                          **options)
    dev = (load_user_data(args.dev_data, task.name, split=args.dev_data_split, option="--dev-data", **options)
           if args.dev_data is not None else None)
    refuse_to_replace_other_data(Path(args.output_dir) / model.slug / f"{task.name}@{data.name}.json", data)
    if SCHEMAS[task.name].spans:
        from rewrite_bench.span_eval import evaluate_user_spans

        if dev is not None:
            raise BenchError(f"--dev-data chooses thresholds; task {task.name!r} has none (its spans are measured "
                             f"as the model gives them). Drop --dev-data.")
        return evaluate_user_spans(model, task, data, limit=args.limit, batch_size=args.batch_size,
                                   builtin=_builtin_for_fit(args, model, task))
    return evaluate_user_data(model, task, data, dev, limit=args.limit, batch_size=args.batch_size,
                              builtin=_builtin_for_fit(args, model, task), score_cache_dir=score_cache_dir)


def _builtin_for_fit(args: argparse.Namespace, model: Any, task: Any) -> Any:
    """The built-in data when ``model`` is fitted on its train split (as for the leaderboard), else None."""
    if not model.needs_fit() or model.by_id:
        return None
    print(f"model {model.name!r} is fitted on the built-in {task.name} train split (built on first use).",
          file=sys.stderr)
    return _load_data(args)


def _eval_tracks(args: argparse.Namespace, model: Any, task: Any, tracks: Sequence[Any],
                 score_cache_dir: Path | None) -> list[Any]:
    """Score ``model`` on each track; every track is scored before any result is written."""
    from types import SimpleNamespace

    from rewrite_bench.io import resolve_cache_dir
    from rewrite_bench.results import refuse_to_replace_other_data
    from rewrite_bench.tracks import evaluate_track

    for track in tracks:
        refuse_to_replace_other_data(Path(args.output_dir) / model.slug / f"{task.name}@{track.name}.json",
                                     SimpleNamespace(source=f"track:{track.name}", split=track.test_split,
                                                     name=track.name),
                                     fix="pass another --output-dir, or delete that file")
    builtin = _builtin_for_fit(args, model, task)
    cache_dir = resolve_cache_dir(args.cache_dir)
    return [evaluate_track(model, task, track, cache_dir=cache_dir, batch_size=args.batch_size, limit=args.limit,
                           builtin=builtin, score_cache_dir=score_cache_dir) for track in tracks]


def _cmd_eval(args: argparse.Namespace) -> int:
    from rewrite_bench.models import parse_model_args, resolve_model
    from rewrite_bench.registry import TASKS, load_target, lookup
    from rewrite_bench.results import write_result
    from rewrite_bench.io import resolve_cache_dir
    from rewrite_bench.shapes import shape_of
    from rewrite_bench.tracks import TRACK_TASK

    tracks = _check_track_options(args)
    _check_data_options(args)
    # Resolve names first, so a typo fails before any building or scoring.
    task_names = args.task or ([TRACK_TASK] if tracks else list(TASKS))
    tasks = [load_target(lookup(TASKS, name, "task").target).metadata for name in dict.fromkeys(task_names)]
    model = resolve_model(args.model, parse_model_args(args.model_arg), trust_remote_code=args.trust_remote_code)
    reasons = {task.name: model.unsupported(task) for task in tasks}
    runnable = [t for t in tasks if reasons[t.name] is None]
    for name, reason in reasons.items():
        if reason is not None:
            print(f"skipping task {name!r}: model {model.name!r} cannot run it ({reason}).", file=sys.stderr)
    if not runnable:
        raise BenchError(f"model {args.model!r} supports none of the tasks {[t.name for t in tasks]}: "
                         + "; ".join(f"{name}: {reason}" for name, reason in reasons.items()) + ".")

    score_cache_dir = None if args.no_cache else resolve_cache_dir(args.cache_dir) / "scores"
    output_dir = Path(args.output_dir)
    results = []  # each written as soon as it is made: a later task's failure keeps the earlier ones
    if tracks:
        outcomes = _eval_tracks(args, model, runnable[0], tracks, score_cache_dir)
        results = [write_result(output_dir, outcome.result, outcome.predictions) for outcome in outcomes]
        fingerprint_line = "\n".join(f"data fingerprint ({r.data.name}): {r.task.fingerprint}" for r in results)
    elif args.data is not None:
        outcome = _eval_user_data(args, model, runnable[0], score_cache_dir)
        results.append(write_result(output_dir, outcome.result, outcome.predictions))
        fingerprint_line = f"data fingerprint ({results[0].data.name}): {results[0].task.fingerprint}"
    else:
        data = _load_data(args)
        split = args.split or "test"
        for task in runnable:
            outcome = shape_of(task).evaluate(model, task, data, split=split, limit=args.limit,
                                              batch_size=args.batch_size, score_cache_dir=score_cache_dir)
            results.append(write_result(output_dir, outcome.result, outcome.predictions))
        fingerprint_line = f"data fingerprint: {data.fingerprint}"

    print(f"model: {model.name}" + (f" {model.args}" if model.args else ""))
    print(fingerprint_line)
    print()
    print(_summary_table(results))
    for result in results:
        print()
        print(_slice_table(result))
    print()
    for result in results:
        cache = result.score_cache
        if cache["used"]:
            print(f"{result.task.name}: {cache['hits']} {cache.get('of', 'scores')} from the cache, "
                  f"{cache['computed']} computed")
        for note in result.notes:
            print(f"note ({result.task.name}): {note}")
    for result in results:
        print(f"wrote {result.path}")
    weakest = _weakest_slices(results)
    if weakest:
        print()
        print(f"weakest slices (at least {_MIN_SLICE_ITEMS} positives and {_MIN_SLICE_ITEMS} negatives, lowest main "
              f"score first):")
        for result, row in weakest:
            main = result.task.main_score
            print(f"  {result.task.name} ({_where(result)}): {row.slice} = {row.value}: "
                  f"{main.upper()} {_fmt(row.score(main))} (n {row.n_positive}/{row.n_negative})")
    if not args.no_report:
        _run_report(args, model, results, data if not tracks and args.data is None else None)
    return 0


#: A slice enters "weakest slices" only with at least this many positives and negatives.
_MIN_SLICE_ITEMS = 20


def _weakest_slices(results: Sequence["Result"], n: int = 3) -> list[tuple["Result", "SliceRow"]]:
    """The ``n`` slice rows (other than ``all``) with the lowest main score over a run's results,
    among those with at least :data:`_MIN_SLICE_ITEMS` positives and negatives."""
    rows = [(result, row) for result in results for row in result.slices
            if row.slice != "all" and (row.n_positive or 0) >= _MIN_SLICE_ITEMS
            and (row.n_negative or 0) >= _MIN_SLICE_ITEMS and row.score(result.task.main_score) is not None]
    rows.sort(key=lambda pair: (pair[1].score(pair[0].task.main_score), pair[0].task.name, pair[1].slice,
                                str(pair[1].value)))
    return rows[:n]


def _run_report(args: argparse.Namespace, model: Any, results: Sequence["Result"], data: Any) -> None:
    """The run's own report page, beside its results: ``<output-dir>/<model-slug>/report/index.html``."""
    from rewrite_bench.report import build_report

    if args.data is not None:
        print("report: none for --data runs (the report reads the labels of the built-in data and the tracks).")
        return
    summary = build_report(results, Path(args.output_dir) / model.slug / "report", data, with_tracks=False,
                           title=f"RewriteBench report: {model.name}", source=args.output_dir)
    print(f"report: {summary.index} (open it in a browser; `bench report` makes the whole leaderboard's)")


def _cmd_leaderboard(args: argparse.Namespace) -> int:
    from rewrite_bench.io import atomic_write_text
    from rewrite_bench.leaderboard import render_leaderboard
    from rewrite_bench.results import load_results

    records = load_results(Path(args.results))
    source = f"{Path(args.results).as_posix().rstrip('/')}/"
    if args.data is not None:
        from rewrite_bench.leaderboard import render_data_table

        text = render_data_table(records, args.data, source=source)
        out = args.out or f"leaderboard@{args.data}.md"
    else:
        from rewrite_bench.build import BuildConfig, load_or_build
        from rewrite_bench.io import resolve_cache_dir
        from rewrite_bench.leaderboard import eligible
        from rewrite_bench.report import render_leaderboard_with_figures

        out = args.out or "leaderboard.md"
        figures_dir = Path(args.results) / "figures"
        if any(eligible(r) for r in records):
            data = load_or_build(resolve_cache_dir(args.cache_dir), BuildConfig())
            text, files = render_leaderboard_with_figures(records, data, figures_dir, Path(out), source=source)
        else:
            text, files = render_leaderboard(records, source=source), {}
        # The figures directory holds exactly the figures of this leaderboard.
        for old in sorted(figures_dir.glob("*.png")):
            if old not in files:
                old.unlink()
        for path, payload in sorted(files.items()):
            figures_dir.mkdir(parents=True, exist_ok=True)
            if not path.is_file() or path.read_bytes() != payload:
                path.write_bytes(payload)
        print(f"wrote {len(files)} figures to {figures_dir}/")
    atomic_write_text(Path(out), text)
    print(f"wrote {out} from {len(records)} results files")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    import time

    from rewrite_bench.report import build_report
    from rewrite_bench.results import load_results

    start = time.perf_counter()
    records = load_results(Path(args.results))
    # Full test-split runs: on the built-in data (those made on other data than the build loaded
    # here are listed as left out) and on the real-world tracks.
    chosen = [r for r in records if not r.limited
              and ((r.data.kind == "built-in" and r.task.split == "test")
                   or (r.is_track and (r.data.fit or {}).get("max_originals") is None))]
    data = _load_data(args) if any(not r.is_track for r in chosen) else None
    out = Path(args.out)
    summary = build_report(chosen, out, data, source=f"{Path(args.results).as_posix().rstrip('/')}/")
    for line in summary.skipped:
        print(f"left out: {line}", file=sys.stderr)
    size = sum((out / name).stat().st_size for name in [*summary.figures, "index.html"])
    print(f"wrote {summary.index} and {len(summary.figures)} figures ({size / 1e6:.1f} MB) from {len(chosen)} "
          f"results in {time.perf_counter() - start:.1f} s")
    print(f"open it in a browser: {summary.index.resolve().as_uri()}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from rewrite_bench.show import LEGEND, colour_legend, edit_summary, explain_rewrite, render_edits

    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    if "|" in args.rewrite_id:
        return _show_span_item(args, colour)
    if args.model is not None:
        raise BenchError("--model marks a model's spans on an item of a span task (an id with '|'); a rewrite "
                         "(ORIGINAL~REWRITER~STRENGTH) is shown with its own edits.")
    explained = explain_rewrite(_load_data(args), args.rewrite_id)
    print(f"{explained.rewrite_id}: rewriter {explained.rewriter}, strength {explained.strength}, "
          f"seed {explained.seed}\n\nsource:\n{explained.source}\n")
    if explained.remade != explained.stored:
        print("note: made again now, the rewrite differs from the stored one (a translation engine's output "
              "can depend on the machine); the marks are on the rewrite made now\n")
    print(f"rewrite, its edits marked ({colour_legend() if colour else LEGEND}):")
    print(render_edits(explained.source, explained.remade, explained.spans, colour=colour))
    print(f"\n{edit_summary(explained.remade, explained.spans)}")
    return 0


def _show_span_item(args: argparse.Namespace, colour: bool) -> int:
    from rewrite_bench.models import parse_model_args, resolve_model
    from rewrite_bench.registry import TASKS, load_target
    from rewrite_bench.show import SPAN_LEGEND, find_span_item, render_span_match
    from rewrite_bench.span_eval import predict_spans, span_metrics_of

    item = find_span_item(_load_data(args), args.rewrite_id)
    task = load_target(TASKS[item.task].target).metadata
    row = item.row
    print(f"{row['id']}: task {item.task}, {item.split} split; candidate {row['candidate_id']}\n\n"
          f"original:\n{row['original']}\n")
    predicted: list = []
    if args.model is not None:
        model = resolve_model(args.model, parse_model_args(args.model_arg))
        reason = model.unsupported(task)
        if reason is not None:
            raise BenchError(f"model {args.model!r} cannot run task {item.task!r}: {reason}.")
        predicted = predict_spans(model, task, [row["id"]], [row["original"]], [row["candidate"]], batch_size=1)[0]
    who = f"the gold and {args.model}'s spans" if args.model else "the gold spans (add --model NAME for a model's)"
    print(f"candidate, {who} marked ({SPAN_LEGEND}):")
    print(render_span_match(row["candidate"], item.gold, predicted, colour=colour))
    print(f"\n{len(item.gold)} gold span(s)" + (f", {len(predicted)} predicted" if args.model else ""))
    if args.model:
        metrics = span_metrics_of(task.main_score, [row["candidate"]], [list(item.gold)], [predicted],
                                  [row["label"]], resamples=0)
        print(", ".join(f"{key} {value:.3f}" for key, value in metrics.items() if isinstance(value, float)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 model failure, 2 usage or data error)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list()
        if args.command in ("build", "eval"):
            from rewrite_bench.executors import parse_executor, use_executor

            executor = parse_executor(args.executor, workers=args.ray_workers, num_gpus=args.ray_gpus)
            with use_executor(executor):
                return _cmd_build(args) if args.command == "build" else _cmd_eval(args)
        if args.command == "report":
            return _cmd_report(args)
        if args.command == "show":
            return _cmd_show(args)
        return _cmd_leaderboard(args)
    except BenchError as error:
        from rewrite_bench.runner import ModelError

        print(f"error: {error}", file=sys.stderr)
        return 1 if isinstance(error, ModelError) else 2
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`bench list | head`): stop quietly, as other command-line tools do.
        # Point stdout at devnull so the interpreter's final flush does not raise again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
