"""Chains of rewriters: the output of one is the input of the next.

Content farms stack tools (spin, then back-translate; or spin a spin to push the overlap
further down). ``Chain([a, b])`` is a rewriter named ``"a+b"`` whose parameters at each
strength are the parts' parameters at that strength, so a recorded rewrite says exactly
which step ran with what. Parts are rewriter instances, so a chain needs no registry.
"""
from __future__ import annotations

import random
from typing import Mapping, Sequence

from rewrite_bench.rewriters.provenance import Provenance, compose, copied_whole, has_provenance
from rewrite_bench.types import STRENGTHS, BenchError, Rewriter, RewriteError

__all__ = ["Chain"]


def _needs_donor(rewriter: object) -> bool:
    return bool(getattr(rewriter, "needs_donor", False))


class Chain:
    """Apply rewriters in order, each with its own rng drawn from the chain's rng."""

    def __init__(self, parts: Sequence[Rewriter]) -> None:
        if not parts:
            raise BenchError("Chain needs at least one rewriter, e.g. Chain([WordNetSpin(), Restructure()])")
        for part in parts:
            missing = [s for s in STRENGTHS if s not in part.strengths]
            if missing:
                raise BenchError(
                    f"Chain part {part.name!r} has no params for strength(s) {missing}; "
                    f"every part needs all of {list(STRENGTHS)}"
                )
        self.parts: tuple[Rewriter, ...] = tuple(parts)
        self.name: str = "+".join(part.name for part in self.parts)
        self.version: str = "+".join(part.version for part in self.parts)
        self.strengths: Mapping[str, Mapping[str, object]] = {
            strength: {
                "steps": [
                    {"rewriter": part.name, "params": dict(part.strengths[strength])}
                    for part in self.parts
                ]
            }
            for strength in STRENGTHS
        }

    @property
    def needs_donor(self) -> bool:
        """Whether a part needs a donor text (the chain then passes its ``donor`` on)."""
        return any(_needs_donor(part) for part in self.parts)

    @property
    def slow(self) -> bool:
        """Whether a part is slow (seconds per text): small builds then cap the chain too."""
        return any(getattr(part, "slow", False) for part in self.parts)

    @property
    def max_build_originals(self) -> int | None:
        """The tightest build limit of any part: a chain is as slow as its slowest step."""
        limits = [limit for part in self.parts if (limit := getattr(part, "max_build_originals", None)) is not None]
        return min(limits) if limits else None

    def _steps(self, params: Mapping[str, object]) -> list[Mapping[str, object]]:
        """The per-step params, checked against the parts (one step per part, same names)."""
        steps = params.get("steps")
        if not isinstance(steps, (list, tuple)) or len(steps) != len(self.parts):
            raise BenchError(
                f"{self.name}: params need 'steps', a list of {len(self.parts)} "
                f"{{'rewriter': name, 'params': {{...}}}} entries (see Chain.strengths), got {steps!r}"
            )
        out: list[Mapping[str, object]] = []
        for i, (step, part) in enumerate(zip(steps, self.parts), start=1):
            if not isinstance(step, Mapping) or step.get("rewriter") != part.name:
                raise BenchError(
                    f"{self.name}: step {i} must be {{'rewriter': {part.name!r}, 'params': {{...}}}}, got {step!r}"
                )
            step_params = step.get("params")
            if not isinstance(step_params, Mapping):
                raise BenchError(f"{self.name}: step {i} ({part.name}) params must be a mapping, got {step_params!r}")
            out.append(step_params)
        return out

    def rewrite(
        self,
        text: str,
        params: Mapping[str, object],
        rng: random.Random,
        *,
        donor: str | None = None,
    ) -> str:
        """Run every part in order; step ``i`` gets ``random.Random(rng.getrandbits(64))``.

        A part's :class:`RewriteError` is raised again with the step named.
        """
        return self._run(text, params, rng, donor, with_provenance=False)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object], rng: random.Random, *,
                                donor: str | None = None) -> tuple[str, Provenance]:
        """The rewrite (the same as :meth:`rewrite`'s) and its edits, each step's composed with the last."""
        missing = [part.name for part in self.parts if not has_provenance(part)]
        if missing:
            raise BenchError(f"{self.name}: part(s) {missing} do not report their edits, so the chain cannot")
        out, spans = self._run(text, params, rng, donor, with_provenance=True)
        return out, spans if spans is not None else copied_whole(out)

    def _run(self, text: str, params: Mapping[str, object], rng: random.Random, donor: str | None, *,
             with_provenance: bool) -> tuple[str, Provenance | None]:
        steps = self._steps(params)
        if self.needs_donor and donor is None:
            raise BenchError(f"{self.name}: a part needs a donor text; pass rewrite(..., donor=<another original>)")
        seeds = [rng.getrandbits(64) for _ in self.parts]
        out = text
        spans: Provenance | None = copied_whole(text) if with_provenance else None
        for i, (part, step_params, seed) in enumerate(zip(self.parts, steps, seeds), start=1):
            step_rng = random.Random(seed)
            extra = {"donor": donor} if _needs_donor(part) else {}
            try:
                if spans is not None:
                    out, step = part.rewrite_with_provenance(out, step_params, step_rng, **extra)  # type: ignore[attr-defined]
                    spans = compose(spans, step)
                else:
                    out = part.rewrite(out, step_params, step_rng, **extra)  # type: ignore[call-arg]
            except RewriteError as error:
                raise RewriteError(f"{self.name}: step {i} ({part.name}) failed: {error}") from error
        if out == text:
            raise RewriteError(f"{self.name}: the steps together left the text unchanged")
        return out, spans
