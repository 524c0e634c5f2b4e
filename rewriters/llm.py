"""``llm``: paraphrase with a language model the user names.

Content farms increasingly launder copied articles through an LLM ("rewrite this in your own
words"). This rewriter asks a model to paraphrase each paragraph, with an instruction graded
by strength, and samples with a seed drawn from the build's rng so that a rewrite can be
reproduced. Two backends (:mod:`rewrite_bench.rewriters.llm_backends`):

- ``transformers``: a local model directory or a Hugging Face Hub id, run in-process.
  Encoder-decoder models (T5, BART, ...) are prompted as text-to-text; causal models get the
  tokenizer's chat template when it has one, else a plain prompt.
- ``openai``: any OpenAI-compatible ``/chat/completions`` endpoint (vLLM, llama.cpp server,
  Ollama, OpenAI itself), called with the standard library only.

No weights ship with RewriteBench, so this rewriter is not part of the default build. The
model id, backend, prompt and sampling parameters are part of every strength's ``params``,
so they are recorded in each rewrite's provenance and in the build key.
"""
from __future__ import annotations

import random
import re
from typing import Mapping

from rewrite_bench.rewriters.llm_backends import OpenAIBackend, TransformersBackend
from rewrite_bench.text import normalize_for_dedup, split_paragraphs
from rewrite_bench.types import BenchError, RewriteError

__all__ = ["DEFAULT_PROMPT", "INSTRUCTIONS", "BACKENDS", "LLMParaphrase", "render_prompt"]

#: The user message; ``{instruction}`` is the strength's instruction, ``{text}`` one paragraph.
DEFAULT_PROMPT = (
    "{instruction} Keep every fact, name and number, and write in English. "
    "Reply with the rewritten text only.\n\n{text}"
)

#: Per strength: the instruction that grades the rewrite, and a factor on the base temperature.
INSTRUCTIONS: Mapping[str, tuple[str, float]] = {
    "light": (
        "Lightly paraphrase the following text: change a few words and phrases, "
        "and keep the sentences and their order as they are.",
        0.75,
    ),
    "medium": (
        "Paraphrase the following text: reword every sentence, keeping the sentence order.",
        1.0,
    ),
    "heavy": (
        "Completely rewrite the following text in your own words: use different vocabulary "
        "and sentence structure, and merge, split or reorder sentences where it reads well.",
        1.25,
    ),
}

BACKENDS: tuple[str, ...] = ("auto", "transformers", "openai")

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
# A chatty first line such as "Sure! Here is the paraphrased text:".
_PREAMBLE = re.compile(
    r"\A\s*(?:sure|certainly|of course|okay|ok|here(?:'s| is| are))\b[^\n]{0,120}:[ \t]*\n",
    re.IGNORECASE,
)
_QUOTES = (('"', '"'), ("“", "”"), ("'", "'"))


def render_prompt(template: str, instruction: str, text: str) -> str:
    """The user message: ``template`` with ``{instruction}`` and then ``{text}`` filled in.

    Plain replacement rather than ``str.format`` so that braces in the text are harmless.
    """
    return template.replace("{instruction}", instruction).replace("{text}", text)


def _clean_output(raw: str, source: str) -> str:
    """A model's reply as one paragraph: no reasoning block, chatty preamble or wrapping quotes."""
    text = _THINK.sub("", raw).strip()
    text = _PREAMBLE.sub("", text, count=1).strip()
    for left, right in _QUOTES:
        only_pair = text.count(left) == 2 if left == right else text.count(left) == text.count(right) == 1
        wrapped = len(text) > 1 and text.startswith(left) and text.endswith(right)
        if wrapped and only_pair and not source.startswith(left):
            text = text[1:-1].strip()
    return " ".join(text.split())


def _number(params: Mapping[str, object], key: str, low: float, high: float, *,
            low_open: bool = False) -> float:
    value = params.get(key)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        value = float(value)  # type: ignore[arg-type]
        ok = (low < value if low_open else low <= value) and value <= high
    if not ok:
        bound = "(" if low_open else "["
        raise BenchError(
            f"llm param {key} must be a number in {bound}{low}, {high}], got {params.get(key)!r}"
        )
    return float(value)  # type: ignore[arg-type]


def _positive_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BenchError(f"llm {name} must be a positive integer, got {value!r}")
    return value


def _check_template(template: object, name: str) -> str:
    if not isinstance(template, str) or "{text}" not in template:
        raise BenchError(f"llm {name} must be a string containing the placeholder {{text}}, got {template!r}")
    return template


# --- the rewriter -------------------------------------------------------------------------

class LLMParaphrase:
    """Paraphrase paragraph by paragraph with a named language model, graded by the prompt.

    ``model`` is a local directory or Hub id (``transformers``) or the model name the server
    knows (``openai``). ``backend="auto"`` means ``openai`` when ``api_base`` is given, else
    ``transformers``. ``temperature`` is the medium strength's; light and heavy use 0.75x and
    1.25x of it (0 means greedy decoding). ``device`` (transformers only) defaults to CUDA when
    available, else CPU; sampled outputs are reproducible for a seed on the same device.
    Nothing is loaded or contacted until the first :meth:`rewrite` (or :meth:`load`).
    """

    name = "llm"
    version = "1.0"

    def __init__(
        self,
        model: str,
        *,
        backend: str = "auto",
        prompt: str = DEFAULT_PROMPT,
        system: str | None = None,
        temperature: float = 0.7,
        top_p: float = 0.95,
        max_new_tokens: int = 512,
        api_base: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60,
        trust_remote_code: bool = False,
        device: str | None = None,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise BenchError(
                f"llm model must be a model directory, Hub id or served model name, got {model!r}"
            )
        if backend not in BACKENDS:
            raise BenchError(f"llm backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        resolved = backend if backend != "auto" else ("openai" if api_base else "transformers")
        _check_template(prompt, "prompt")
        if system is not None and not isinstance(system, str):
            raise BenchError(f"llm system must be a string or None, got {system!r}")
        base = {"temperature": temperature, "top_p": top_p}
        _number(base, "temperature", 0.0, 2.0)
        _number(base, "top_p", 0.0, 1.0, low_open=True)
        _positive_int(max_new_tokens, "max_new_tokens")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise BenchError(f"llm timeout must be a positive number of seconds, got {timeout!r}")
        self.model = model
        self.backend = resolved
        if resolved == "openai":
            if not api_base:
                raise BenchError(
                    "llm backend 'openai' needs api_base, the server's base URL such as "
                    "http://127.0.0.1:8000/v1 (or https://api.openai.com/v1)."
                )
            self._backend: OpenAIBackend | TransformersBackend = OpenAIBackend(
                model, api_base, api_key_env, float(timeout))
        else:
            if api_base:
                raise BenchError(
                    f"llm api_base={api_base!r} is only used by the 'openai' backend; "
                    f"drop it or pass backend='openai'."
                )
            self._backend = TransformersBackend(model, trust_remote_code, device)
        self.strengths: Mapping[str, Mapping[str, object]] = {
            strength: {
                "model": model,
                "backend": resolved,
                "instruction": instruction,
                "prompt": prompt,
                "system": system,
                "temperature": round(min(2.0, float(temperature) * factor), 4),
                "top_p": float(top_p),
                "max_new_tokens": max_new_tokens,
            }
            for strength, (instruction, factor) in INSTRUCTIONS.items()
        }

    def load(self) -> None:
        """Load the model now (transformers backend) so that a bad model id fails before a build."""
        if isinstance(self._backend, TransformersBackend):
            self._backend.load()

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        """Each paragraph paraphrased by the model; raise :class:`RewriteError` on empty or same output."""
        for key, mine in (("model", self.model), ("backend", self.backend)):
            if key in params and params[key] != mine:
                raise BenchError(
                    f"llm params {key}={params[key]!r} do not match this rewriter's {key} {mine!r}; "
                    f"build an LLMParaphrase for that {key}."
                )
        instruction = params.get("instruction")
        if not isinstance(instruction, str):
            raise BenchError(f"llm param instruction must be a string, got {instruction!r}")
        template = _check_template(params.get("prompt", DEFAULT_PROMPT), "param prompt")
        system = params.get("system")
        if system is not None and not isinstance(system, str):
            raise BenchError(f"llm param system must be a string or None, got {system!r}")
        temperature = _number(params, "temperature", 0.0, 2.0)
        top_p = _number(params, "top_p", 0.0, 1.0, low_open=True)
        max_new_tokens = _positive_int(params.get("max_new_tokens"), "param max_new_tokens")

        paragraphs = split_paragraphs(text)
        if not paragraphs:
            raise RewriteError("llm: empty text")
        out: list[str] = []
        for i, paragraph in enumerate(paragraphs, 1):
            seed = rng.getrandbits(32)  # one draw per paragraph, in order: reproducible
            raw = self._backend.generate(
                render_prompt(template, instruction, paragraph), system or None,
                temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, seed=seed,
            )
            cleaned = _clean_output(raw, paragraph)
            if not cleaned:
                raise RewriteError(f"llm ({self.model}): empty output for paragraph {i} of {len(paragraphs)}")
            out.append(cleaned)
        result = "\n\n".join(out)
        if normalize_for_dedup(result) == normalize_for_dedup(text):
            raise RewriteError(f"llm ({self.model}): the output repeats the input unchanged")
        return result
