"""``llm``: paraphrase with a language model the user names.

Content farms increasingly launder copied articles through an LLM ("rewrite this in your own
words"). This rewriter asks a model to paraphrase each paragraph, with an instruction graded
by strength, and samples with a seed drawn from the build's rng so that a rewrite can be
reproduced. Two backends:

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

import ipaddress
import json
import os
import random
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Mapping

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

# Cue appended to the prompt for causal models without a chat template (base models).
_PLAIN_CUE = "\n\nRewritten text:\n"
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


# --- backends -----------------------------------------------------------------------------

class _OpenAIBackend:
    """POST ``{api_base}/chat/completions`` on an OpenAI-compatible server (stdlib only)."""

    def __init__(self, model: str, api_base: str, api_key_env: str, timeout: float) -> None:
        parsed = urllib.parse.urlparse(api_base)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise BenchError(
                f"llm api_base must be an http(s) URL such as http://127.0.0.1:8000/v1, got {api_base!r}"
            )
        self.model = model
        self.url = api_base.rstrip("/") + "/chat/completions"
        self.api_key_env = api_key_env
        self.timeout = timeout
        self._loopback = _is_loopback(parsed.hostname or "")

    def generate(self, user: str, system: str | None, *, temperature: float, top_p: float,
                 max_new_tokens: int, seed: int) -> str:
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": user}
        ]
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "top_p": top_p,
            "max_tokens": max_new_tokens,
            "seed": seed,
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"),
                                         headers=headers, method="POST")
        # A server on this machine is never reached through an HTTP proxy from the environment.
        opener = (urllib.request.build_opener(urllib.request.ProxyHandler({}))
                  if self._loopback else urllib.request.build_opener())
        try:
            with opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace").strip()
            raise BenchError(
                f"llm: {self.url} answered HTTP {error.code} {error.reason} for model "
                f"{self.model!r}: {detail or '(no body)'}. Check the server log, the model name "
                f"and the API key (environment variable {self.api_key_env})."
            ) from error
        except (TimeoutError, socket.timeout) as error:
            raise BenchError(
                f"llm: {self.url} did not answer within {self.timeout:g} s; "
                f"raise timeout= or check the server."
            ) from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                raise BenchError(
                    f"llm: {self.url} did not answer within {self.timeout:g} s; "
                    f"raise timeout= or check the server."
                ) from error
            raise BenchError(
                f"llm: cannot reach {self.url} ({error.reason}); is the server running and is "
                f"api_base right?"
            ) from error
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise BenchError(
                f"llm: {self.url} sent a response without choices[0].message.content: "
                f"{raw[:300].decode('utf-8', 'replace')!r}"
            ) from error
        if content is not None and not isinstance(content, str):
            raise BenchError(f"llm: {self.url} sent non-text content {content!r}")
        return content or ""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hub_offline() -> bool:
    from rewrite_bench.io import hub_offline

    if hub_offline():
        return True
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return bool(getattr(constants, "HF_HUB_OFFLINE", False))


def _looks_like_path(model: str) -> bool:
    """A filesystem path rather than a Hub id (``name`` or ``org/name``)."""
    return model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model


class _TransformersBackend:
    """A model run in-process with ``transformers``, loaded on first use."""

    def __init__(self, model: str, trust_remote_code: bool, device: str | None) -> None:
        self.model_id = model
        self.trust_remote_code = trust_remote_code
        self.device = device
        self._loaded: tuple[Any, Any, bool] | None = None  # (tokenizer, model, is_seq2seq)

    def _source(self) -> str:
        """The local directory or Hub id to load; fails at once when a Hub id cannot be loaded."""
        path = Path(self.model_id).expanduser()
        if path.is_dir():
            return str(path)
        if path.exists() or _looks_like_path(self.model_id):
            what = "is a file" if path.exists() else "does not exist"
            raise BenchError(
                f"llm model {self.model_id!r} {what}; pass a model directory (a folder with "
                f"config.json and the tokenizer, as written by save_pretrained) or a Hub id."
            )
        if _hub_offline():
            from huggingface_hub import try_to_load_from_cache
            from huggingface_hub.errors import HFValidationError

            try:
                cached = try_to_load_from_cache(self.model_id, "config.json")
            except HFValidationError as error:
                raise BenchError(
                    f"llm model {self.model_id!r} is neither a directory nor a valid Hub id: {error}"
                ) from error
            if not isinstance(cached, str):
                raise BenchError(
                    f"llm model {self.model_id!r} is not in the Hugging Face cache and the Hub is "
                    f"offline (HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE is set). It needs network access "
                    f"to download once, or pass a local model directory."
                )
        return self.model_id

    def load(self) -> tuple[Any, Any, bool]:
        if self._loaded is not None:
            return self._loaded
        source = self._source()
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        kwargs = {"trust_remote_code": self.trust_remote_code}
        try:
            config = AutoConfig.from_pretrained(source, **kwargs)
            seq2seq = bool(getattr(config, "is_encoder_decoder", False))
            auto = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
            tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            model = auto.from_pretrained(source, config=config, **kwargs)
        except (OSError, ValueError, KeyError) as error:
            raise BenchError(
                f"llm: cannot load model {self.model_id!r} with transformers: {error}. Pass a local "
                f"model directory or a Hub id (a Hub id needs network access the first time; set "
                f"trust_remote_code=True only for models you trust that need it)."
            ) from error
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        model.to(device)
        model.eval()
        self._loaded = (tokenizer, model, seq2seq)
        return self._loaded

    def generate(self, user: str, system: str | None, *, temperature: float, top_p: float,
                 max_new_tokens: int, seed: int) -> str:
        tokenizer, model, seq2seq = self.load()  # first: a bad model id fails before torch loads
        import torch

        prompt, special = _model_input_text(tokenizer, user, system, seq2seq)
        encoded = tokenizer(prompt, return_tensors="pt", add_special_tokens=special)
        inputs = {k: v.to(model.device) for k, v in encoded.items() if k in ("input_ids", "attention_mask")}
        n_input = int(inputs["input_ids"].shape[1])
        if not seq2seq:
            limit = _context_length(model.config)
            if limit is not None:
                if n_input >= limit:
                    raise RewriteError(
                        f"llm: a paragraph's prompt has {n_input} tokens, more than the "
                        f"{limit}-token context of {self.model_id!r}"
                    )
                max_new_tokens = min(max_new_tokens, limit - n_input)
        options: dict[str, Any] = {"max_new_tokens": max_new_tokens}
        if temperature > 0:
            options.update(do_sample=True, temperature=temperature, top_p=top_p)
        else:
            options.update(do_sample=False)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        if pad is not None:
            options["pad_token_id"] = pad
        device = model.device
        devices = [device.index or 0] if device.type == "cuda" else []
        # A private RNG stream seeded from the build's rng: same seed, same sample (on CPU),
        # and the caller's global torch RNG is left as it was.
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            torch.manual_seed(seed)
            output = model.generate(**inputs, **options)
        tokens = output[0] if seq2seq else output[0, n_input:]  # causal: drop the prompt
        return tokenizer.decode(tokens, skip_special_tokens=True)


def _context_length(config: Any) -> int | None:
    for attr in ("max_position_embeddings", "n_positions", "seq_length"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _model_input_text(tokenizer: Any, user: str, system: str | None, seq2seq: bool) -> tuple[str, bool]:
    """The text handed to the tokenizer, and whether the tokenizer should add special tokens.

    Causal models with a chat template get it (the template adds its own special tokens); other
    causal models get a plain prompt ending in a cue; encoder-decoders get the instruction as is.
    """
    plain = f"{system}\n\n{user}" if system else user
    if seq2seq:
        return plain, True
    if getattr(tokenizer, "chat_template", None):
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": user}
        ]
        try:
            text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception:  # e.g. a template that rejects the system role
            text = tokenizer.apply_chat_template([{"role": "user", "content": plain}],
                                                 tokenize=False, add_generation_prompt=True)
        return str(text), False
    return plain + _PLAIN_CUE, True


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
            self._backend: _OpenAIBackend | _TransformersBackend = _OpenAIBackend(
                model, api_base, api_key_env, float(timeout))
        else:
            if api_base:
                raise BenchError(
                    f"llm api_base={api_base!r} is only used by the 'openai' backend; "
                    f"drop it or pass backend='openai'."
                )
            self._backend = _TransformersBackend(model, trust_remote_code, device)
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
        if isinstance(self._backend, _TransformersBackend):
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
