"""Tiny randomly initialised transformers models, written to a directory for the model-form tests.

They use MiniLM's word-piece vocabulary (from the installed weights package) so tokenisation
is real, but have two layers of width 32, so they load and run in well under a second.
"""
from __future__ import annotations

from pathlib import Path

#: Word pieces per input, small so that ordinary paragraphs need several windows.
MAX_LENGTH = 48


def _tokenizer():
    from transformers import BertTokenizerFast

    from rewrite_bench.baselines.neural import minilm_path

    return BertTokenizerFast(vocab_file=str(Path(minilm_path()) / "vocab.txt"), model_max_length=MAX_LENGTH)


def _config(**extra):
    from transformers import BertConfig

    return BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=MAX_LENGTH, **extra)


def write_encoder(directory: Path) -> Path:
    """A plain ``BertModel`` directory (sentence-transformers adds mean pooling)."""
    import torch
    from transformers import BertModel

    torch.manual_seed(0)
    BertModel(_config()).save_pretrained(directory)
    _tokenizer().save_pretrained(directory)
    return directory


def write_cross_encoder(directory: Path, labels: dict[int, str] | None = None) -> Path:
    """A ``BertForSequenceClassification`` directory with labels ``unrelated`` / ``derived``."""
    import torch
    from transformers import BertForSequenceClassification

    labels = labels or {0: "unrelated", 1: "derived"}
    torch.manual_seed(0)
    config = _config(num_labels=len(labels), id2label=labels, label2id={v: k for k, v in labels.items()})
    BertForSequenceClassification(config).save_pretrained(directory)
    _tokenizer().save_pretrained(directory)
    return directory
