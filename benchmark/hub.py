"""The Hugging Face Hub, in one place: whether to go online, what a Hub id looks like, downloads.

Users online can name Hub datasets (``--data org/name``) and Hub models (``--model org/name``);
the default run and the tests never touch the network. Every check of the offline variables,
every Hub-id pattern and every download goes through here.
"""
from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Mapping

from rewrite_bench.types import BenchError

__all__ = ["OFFLINE_VARIABLES", "hub_offline", "hub_reachable", "DATASET_ID", "MODEL_ID", "OFFLINE_MODELS",
           "download_model"]

#: Environment variables with which Hugging Face libraries are told not to use the network.
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")


def hub_offline() -> bool:
    """Whether the user has asked Hugging Face libraries to stay offline (any of :data:`OFFLINE_VARIABLES`)."""
    return any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on") for name in OFFLINE_VARIABLES)


#: A Hub dataset as ``--data`` takes it: ``name`` or ``org/name``, optionally ``:config``.
DATASET_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?(:[\w.-]+)?$")
#: A Hub model as ``--model`` takes it: ``org/name`` (a bare name is a baseline or a path).
MODEL_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

#: Hub ids served offline from installed weight packages (name -> function returning the path).
OFFLINE_MODELS: Mapping[str, str] = {
    "sentence-transformers/all-MiniLM-L6-v2": "rewrite_bench.baselines.neural:minilm_path",
}


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face Hub can be reached now (a TCP connect, a few seconds at most)."""
    if hub_offline():
        return False
    from urllib.parse import urlparse

    endpoint = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        socket.create_connection((endpoint.hostname or "huggingface.co", endpoint.port or 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def download_model(repo_id: str, revision: str | None) -> Path:
    """A Hub model's local snapshot (downloaded if needed), or a clear error when offline."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, revision=revision))
    except Exception as error:  # offline, unknown repo, gated model, ...: one message for all
        raise BenchError(
            f"--model {repo_id!r}: cannot fetch it from the Hugging Face Hub ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}). Without network access, download the model "
            f"elsewhere and pass its local directory; or use a registered baseline (`bench list`)."
        ) from error
