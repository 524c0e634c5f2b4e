"""The two ways the ``llm`` rewriter reaches a model: an OpenAI-compatible server, or transformers.

- :class:`OpenAIBackend`: ``POST {api_base}/chat/completions`` with the standard library only
  (vLLM, llama.cpp server, Ollama, OpenAI itself); a key is read from an environment variable
  and sent only over HTTPS or to a loopback address.
- :class:`TransformersBackend`: a local model directory or a Hugging Face Hub id, run in
  process; encoder-decoder models are prompted as text-to-text, causal models get the
  tokenizer's chat template when it has one, else a plain prompt with a cue.

Each has ``generate(user, system, temperature, top_p, max_new_tokens, seed) -> str``; what
the prompt says and how the output is cleaned is the rewriter's (:mod:`rewrite_bench.rewriters.llm`).
"""
from __future__ import annotations

import ipaddress
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from rewrite_bench.hub import hub_offline
from rewrite_bench.types import BenchError, RewriteError

__all__ = ["OpenAIBackend", "TransformersBackend"]

# Cue appended to the prompt for causal models without a chat template (base models).
_PLAIN_CUE = "\n\nRewritten text:\n"


class OpenAIBackend:
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


def _looks_like_path(model: str) -> bool:
    """A filesystem path rather than a Hub id (``name`` or ``org/name``)."""
    return model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model


class TransformersBackend:
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
        if hub_offline():
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


