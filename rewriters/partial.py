"""``partial``: a partially derived copy, part of the original and the rest another text.

Newswire reuse is rarely all-or-nothing: in the METER corpus most derived articles keep some
blocks of the source (verbatim or reworded) and fill the rest with other material. This
rewriter keeps a share of the original's sentences, in their order and in a few contiguous
blocks, optionally spins them with :class:`rewrite_bench.rewriters.wordnet_spin.WordNetSpin`, and puts
blocks of sentences from a *donor* (another original of the same split, chosen by the
build) where the dropped sentences were, up to about the original's length.

A kept block is a run of consecutive kept sentences within one paragraph; donor sentences go
into the paragraph of the original sentences they replace, so the paragraph layout follows
the original's (a paragraph left with nothing is dropped).
"""
from __future__ import annotations

import random
from typing import Mapping

from rewrite_bench.rewriters.provenance import Builder, Provenance, compose, locate as _locate, restrict, shift
from rewrite_bench.text import split_paragraphs, split_sentences, words
from rewrite_bench.types import BenchError, RewriteError

__all__ = ["Partial", "MIN_SENTENCES"]

#: Fewest sentences an original needs: one kept, one replaced and one more to choose from.
MIN_SENTENCES = 3


def _number(params: Mapping[str, object], key: str, low: float, high: float) -> float:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise BenchError(f"partial param {key} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def _composition(total: int, parts: int, minimum: int, rng: random.Random) -> list[int]:
    """``total`` split into ``parts`` random sizes, each at least ``minimum``."""
    free = total - parts * minimum
    cuts = sorted(rng.sample(range(free + parts - 1), parts - 1))  # stars and bars
    bounds = [-1, *cuts, free + parts - 1]
    return [minimum + bounds[i + 1] - bounds[i] - 1 for i in range(parts)]


def _kept_mask(n: int, k: int, max_blocks: int, rng: random.Random) -> list[bool]:
    """Which of ``n`` sentences to keep: ``k`` of them in 1..``max_blocks`` contiguous blocks."""
    dropped = n - k
    n_blocks = rng.randint(1, min(max_blocks, k, dropped + 1))
    sizes = _composition(k, n_blocks, 1, rng)
    # Gaps before, between and after the blocks; the inner ones are not empty.
    free = _composition(dropped - (n_blocks - 1), n_blocks + 1, 0, rng)
    gaps = [extra + (1 if 0 < i < n_blocks else 0) for i, extra in enumerate(free)]
    mask: list[bool] = []
    for i, size in enumerate(sizes):
        mask += [False] * gaps[i] + [True] * size
    mask += [False] * gaps[-1]
    return mask


def _donor_start(lengths: list[int], needed: float, rng: random.Random) -> int:
    """A random first donor sentence from which enough donor words follow (else the first)."""
    starts = [s for s in range(len(lengths)) if sum(lengths[s:]) >= needed]
    return rng.choice(starts) if starts else 0


class Partial:
    """Keep a share of the original's sentences in blocks; fill the rest from a donor text."""

    name = "partial"
    version = "1.0"
    #: The build passes ``donor=`` (another original of the same split) to :meth:`rewrite`.
    needs_donor = True
    strengths: Mapping[str, Mapping[str, object]] = {
        "light": {"keep_share": 0.75, "spin_rate": 0.0, "fill_ratio": 1.0, "max_blocks": 3},
        "medium": {"keep_share": 0.5, "spin_rate": 0.3, "fill_ratio": 1.0, "max_blocks": 3},
        "heavy": {"keep_share": 0.3, "spin_rate": 0.6, "fill_ratio": 1.0, "max_blocks": 3},
    }

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random, *, donor: str) -> str:
        """Return the partial copy of ``text`` with donor sentences in the dropped places (see
        :meth:`rewrite_with_provenance` for the params)."""
        return self.rewrite_with_provenance(text, params, rng, donor=donor)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object], rng: random.Random, *,
                                donor: str) -> tuple[str, Provenance]:
        """The partial copy of ``text`` with donor sentences in the dropped places, and its edits.

        Kept sentences are copied (or spun: substituted words), donor sentences inserted and
        dropped sentences deleted; none of these changes what a kept sentence says, so every
        span keeps the meaning.

        Params: ``keep_share`` (share of the original's sentences kept, at least one kept and
        one dropped), ``spin_rate`` (WordNet replace rate on the kept part; 0 keeps it
        verbatim), ``fill_ratio`` (target length over the original's, in words, filled with
        donor sentences as far as the donor goes) and ``max_blocks`` (most kept blocks).
        """
        keep_share = _number(params, "keep_share", 0.0, 1.0)
        spin_rate = _number(params, "spin_rate", 0.0, 1.0)
        fill_ratio = _number(params, "fill_ratio", 0.0, 3.0)
        max_blocks = params.get("max_blocks")
        if isinstance(max_blocks, bool) or not isinstance(max_blocks, int) or max_blocks < 1:
            raise BenchError(f"partial param max_blocks must be an integer >= 1, got {max_blocks!r}")

        # (paragraph index, sentence) for the original, in order, and where each sentence starts.
        sentences = [
            (p, s) for p, paragraph in enumerate(split_paragraphs(text)) for s in split_sentences(paragraph)
        ]
        starts = _locate(text, [s for _, s in sentences])
        n = len(sentences)
        if n < MIN_SENTENCES:
            raise RewriteError(f"partial: the text has {n} sentence(s); at least {MIN_SENTENCES} are needed")
        donor_sentences = [s for paragraph in split_paragraphs(donor) for s in split_sentences(paragraph)]
        if not donor_sentences:
            raise RewriteError("partial: the donor text has no sentence")

        k = min(n - 1, max(1, round(keep_share * n)))
        mask = _kept_mask(n, k, max_blocks, rng)
        lengths = [len(words(s)) for _, s in sentences]
        kept_words = sum(length for length, keep in zip(lengths, mask) if keep)
        dropped_words = sum(lengths) - kept_words
        needed = max(0.0, fill_ratio * sum(lengths) - kept_words)
        scale = needed / dropped_words if dropped_words else 0.0

        donor_lengths = [len(words(s)) for s in donor_sentences]
        next_donor = _donor_start(donor_lengths, needed, rng)

        # Chunks of the output as (paragraph index, text, is kept), in order, and each chunk's
        # provenance; a dropped sentence is recorded as deleted in the chunk that follows it.
        chunks: list[tuple[int, str, bool]] = []
        built: list[Builder] = []
        dropped: list[int] = []
        target = emitted = 0.0
        run_has_donor = False

        def piece() -> Builder:
            """A new chunk's builder, opening with the sentences dropped since the last chunk."""
            builder = Builder(text)
            drop_pending(builder)
            return builder

        def drop_pending(builder: Builder) -> None:
            for k in dropped:
                builder.add("", starts[k], starts[k] + len(sentences[k][1]), "deleted")
            dropped.clear()

        def donate(paragraph: int, at: int) -> None:
            chunks.append((paragraph, donor_sentences[next_donor], False))
            built.append(piece())
            built[-1].insert(donor_sentences[next_donor], at)

        for i, ((paragraph, sentence), keep) in enumerate(zip(sentences, mask)):
            if keep:
                if chunks and chunks[-1][2] and chunks[-1][0] == paragraph:
                    chunks[-1] = (paragraph, f"{chunks[-1][1]} {sentence}", True)
                    drop_pending(built[-1])
                    built[-1].add(" ", starts[i - 1] + len(sentences[i - 1][1]), starts[i], "substituted")
                else:
                    chunks.append((paragraph, sentence, True))
                    built.append(piece())
                built[-1].take(starts[i], starts[i] + len(sentence))
                continue
            dropped.append(i)
            target += lengths[i] * scale
            while next_donor < len(donor_sentences) and emitted + donor_lengths[next_donor] / 2 <= target:
                donate(paragraph, starts[i])
                emitted += donor_lengths[next_donor]
                next_donor += 1
                run_has_donor = True
            run_ends = i + 1 == n or mask[i + 1]
            if run_ends:
                if not run_has_donor and needed > 0 and next_donor < len(donor_sentences):
                    # Every dropped block is replaced by at least one donor sentence.
                    donate(paragraph, starts[i])
                    emitted += donor_lengths[next_donor]
                    next_donor += 1
                run_has_donor = False
        drop_pending(built[-1])  # sentences dropped at the end, with no donor after them

        provenance = [b.result()[1] for b in built]
        if spin_rate > 0.0:
            chunks, provenance = self._spin_kept(chunks, provenance, spin_rate, rng)
        by_paragraph: dict[int, list[str]] = {}
        for paragraph, chunk, _ in chunks:
            by_paragraph.setdefault(paragraph, []).append(chunk)
        out = "\n\n".join(" ".join(by_paragraph[p]) for p in sorted(by_paragraph))
        if out == text:
            raise RewriteError("partial: the donor sentences are the dropped ones; nothing changed")
        # The chunks are in paragraph order already: join them as above, with their spans.
        whole = Builder(text)
        for k, ((paragraph, chunk, _), spans) in enumerate(zip(chunks, provenance)):
            if k:
                low = max((s.source_end for s in provenance[k - 1]), default=0)
                high = min((s.source_start for s in spans), default=low)
                gap = " " if chunks[k - 1][0] == paragraph else "\n\n"
                whole.add(gap, low, max(low, high), "substituted")
            whole.extend(chunk, spans)
        if whole.text != out:  # cannot happen: the chunks are in paragraph order
            raise RuntimeError("partial: the chunks' provenance does not rebuild the rewrite")
        return whole.result()

    @staticmethod
    def _spin_kept(
        chunks: list[tuple[int, str, bool]], provenance: list[Provenance], rate: float, rng: random.Random
    ) -> tuple[list[tuple[int, str, bool]], list[Provenance]]:
        """The chunks with the kept ones spun together (one text, so names are seen in context),
        and their provenance with the spun words substituted.

        A kept part without any replaceable word stays verbatim.
        """
        from rewrite_bench.rewriters.wordnet_spin import WordNetSpin

        kept = [i for i, chunk in enumerate(chunks) if chunk[2]]
        joined = "\n\n".join(chunks[i][1] for i in kept)
        try:
            spun, spin = WordNetSpin().rewrite_with_provenance(joined, {"replace_rate": rate}, rng)
        except RewriteError:
            return chunks, provenance
        pieces = split_paragraphs(spun)
        if len(pieces) != len(kept):  # cannot happen: spinning replaces words only
            raise RuntimeError(f"partial: spinning changed {len(kept)} kept blocks into {len(pieces)}")
        out, spans = list(chunks), list(provenance)
        joined_at = _locate(joined, [chunks[i][1] for i in kept])
        for i, piece, at, source_at in zip(kept, pieces, _locate(spun, pieces), joined_at):
            out[i] = (chunks[i][0], piece, True)
            spans[i] = compose(provenance[i], shift(restrict(spin, at, at + len(piece)), 0, -source_at))
        return out, spans
