"""The ``llm`` rewriter on tiny randomly initialised local models and a stub OpenAI server.

No weights are downloaded: the transformers tests build a tiny GPT-2 and a tiny T5 with a
word-level tokenizer in a temporary directory, and the HTTP tests talk to a server on
127.0.0.1 only.
"""
from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from rewrite_bench.text import split_paragraphs
from rewrite_bench.types import STRENGTHS, BenchError, RewriteError, Rewriter
from rewrite_bench.rewriters.llm import DEFAULT_PROMPT, INSTRUCTIONS, LLMParaphrase, _clean_output
from rewrite_bench.rewriters.llm_backends import _model_input_text

TEXT = (
    "Police say a fire that destroyed three homes in the Blue Mountains on Tuesday night was "
    "deliberately lit. Firefighters spent six hours bringing the blaze under control.\n\n"
    "The Rural Fire Service says residents should stay alert, with hot and windy conditions "
    "forecast for the rest of the week."
)
CORPUS = [
    "Police say a fire that destroyed three homes was deliberately lit.",
    "Firefighters spent six hours bringing the blaze under control on Tuesday night.",
    "The government says it will spend more money on hospitals and schools next year.",
    "Residents should stay alert with hot and windy conditions forecast for the week.",
    "The minister told reporters the plan would create thousands of new jobs.",
    "Paraphrase rewrite the following text in your own words and keep every fact.",
]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
FAST = 12  # max_new_tokens for the tiny models


# --- tiny local models ----------------------------------------------------------------------

def _tokenizer(chat_template: str | None = None) -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<unk>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
    core = Tokenizer(models.WordLevel(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=specials))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>", pad_token="<pad>",
                                        eos_token="</s>")
    if chat_template:
        tokenizer.chat_template = chat_template
    return tokenizer


@pytest.fixture(scope="module")
def gpt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = GPT2Config(n_layer=1, n_head=2, n_embd=32, n_positions=512, vocab_size=len(tokenizer),
                        bos_token_id=2, eos_token_id=2, pad_token_id=0)
    path = tmp_path_factory.mktemp("gpt")
    GPT2LMHeadModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def gpt_chat_dir(gpt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    path = tmp_path_factory.mktemp("gpt-chat")
    for file in gpt_dir.iterdir():
        shutil.copy(file, path / file.name)
    _tokenizer(CHAT_TEMPLATE).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = T5Config(vocab_size=len(tokenizer), d_model=32, d_kv=16, d_ff=64, num_layers=1,
                      num_decoder_layers=1, num_heads=2, pad_token_id=0, eos_token_id=2,
                      decoder_start_token_id=0)
    path = tmp_path_factory.mktemp("t5")
    T5ForConditionalGeneration(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


# --- strengths and arguments -----------------------------------------------------------------

def test_strengths_record_model_prompt_and_sampling() -> None:
    rw = LLMParaphrase("org/some-model", top_p=0.9, max_new_tokens=300)
    assert isinstance(rw, Rewriter) and rw.name == "llm" and rw.version == "1.0"
    assert tuple(rw.strengths) == STRENGTHS
    for strength, params in rw.strengths.items():
        assert params["model"] == "org/some-model" and params["backend"] == "transformers"
        assert params["prompt"] == DEFAULT_PROMPT and params["instruction"] == INSTRUCTIONS[strength][0]
        assert params["top_p"] == 0.9 and params["max_new_tokens"] == 300
        json.dumps(params, sort_keys=True)  # recorded as JSON provenance
    assert rw.strengths["light"]["instruction"].startswith("Lightly paraphrase")
    assert rw.strengths["medium"]["instruction"].startswith("Paraphrase")
    assert rw.strengths["heavy"]["instruction"].startswith("Completely rewrite")
    temps = [rw.strengths[s]["temperature"] for s in STRENGTHS]
    assert temps == sorted(temps) and len(set(temps)) == 3 and temps[1] == 0.7
    assert LLMParaphrase("m", api_base="http://127.0.0.1:1/v1").strengths["light"]["backend"] == "openai"


@pytest.mark.parametrize("kwargs, fragment", [
    ({"backend": "openai"}, "needs api_base"),
    ({"backend": "gpt"}, "backend must be one of"),
    ({"prompt": "Paraphrase this."}, "{text}"),
    ({"temperature": -1}, "temperature"),
    ({"top_p": 0}, "top_p"),
    ({"max_new_tokens": 0}, "max_new_tokens"),
    ({"backend": "transformers", "api_base": "http://127.0.0.1:1/v1"}, "only used by the 'openai'"),
    ({"api_base": "127.0.0.1:8000"}, "http(s) URL"),
])
def test_bad_arguments_are_named(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(BenchError, match=re.escape(fragment)):
        LLMParaphrase("m", **kwargs)


def test_params_for_another_model_are_refused() -> None:
    rw = LLMParaphrase("model-a", api_base="http://127.0.0.1:1/v1")
    params = dict(rw.strengths["medium"], model="model-b")
    with pytest.raises(BenchError, match="model-b"):
        rw.rewrite(TEXT, params, random.Random(0))


def test_clean_output_drops_reasoning_preamble_and_quotes() -> None:
    raw = ('<think>plan the answer</think>\nSure! Here is the paraphrased text:\n\n'
           '"The blaze was  lit on purpose."')
    assert _clean_output(raw, "The fire was deliberately lit.") == "The blaze was lit on purpose."
    assert _clean_output("Line one\n\nline two", "x") == "Line one line two"  # one paragraph
    assert _clean_output('"Quoted" he said, "yes"', "x") == '"Quoted" he said, "yes"'


# --- transformers backend --------------------------------------------------------------------

def test_causal_tiny_model_is_seeded_and_keeps_paragraphs(gpt_dir: Path) -> None:
    import torch

    rw = LLMParaphrase(str(gpt_dir), max_new_tokens=FAST)
    params = rw.strengths["heavy"]
    assert params["model"] == str(gpt_dir) and params["backend"] == "transformers"
    state = torch.random.get_rng_state()
    first = rw.rewrite(TEXT, params, random.Random(7))
    assert torch.equal(state, torch.random.get_rng_state())  # the global torch RNG is untouched
    assert first.strip() and len(split_paragraphs(first)) == 2
    assert "Rewritten text" not in first and "following text" not in first  # prompt stripped
    assert rw.rewrite(TEXT, params, random.Random(7)) == first
    assert rw.rewrite(TEXT, params, random.Random(8)) != first


def test_causal_model_uses_its_chat_template(gpt_dir: Path, gpt_chat_dir: Path) -> None:
    from transformers import AutoTokenizer

    chat = AutoTokenizer.from_pretrained(gpt_chat_dir)
    text, special = _model_input_text(chat, "Rewrite this.", "Be brief.", seq2seq=False)
    assert text == "<|system|> Be brief. </s> <|user|> Rewrite this. </s> <|assistant|>" and not special
    plain = AutoTokenizer.from_pretrained(gpt_dir)
    text, special = _model_input_text(plain, "Rewrite this.", None, seq2seq=False)
    assert text.startswith("Rewrite this.") and text.endswith("Rewritten text:\n") and special

    rw = LLMParaphrase(str(gpt_chat_dir), system="Be brief.", max_new_tokens=FAST)
    out = rw.rewrite(TEXT, rw.strengths["light"], random.Random(3))
    assert out.strip() and out == rw.rewrite(TEXT, rw.strengths["light"], random.Random(3))


def test_seq2seq_tiny_model(t5_dir: Path) -> None:
    rw = LLMParaphrase(str(t5_dir), backend="transformers", max_new_tokens=FAST)
    out = rw.rewrite(TEXT, rw.strengths["medium"], random.Random(1))
    assert out.strip() and len(split_paragraphs(out)) == 2
    assert out == rw.rewrite(TEXT, rw.strengths["medium"], random.Random(1))
    assert out != rw.rewrite(TEXT, rw.strengths["medium"], random.Random(2))
    _, special = _model_input_text(None, "Rewrite this.", None, seq2seq=True)
    assert special


def test_zero_temperature_is_greedy(gpt_dir: Path) -> None:
    rw = LLMParaphrase(str(gpt_dir), temperature=0, max_new_tokens=FAST)
    params = rw.strengths["heavy"]
    assert params["temperature"] == 0
    assert rw.rewrite(TEXT, params, random.Random(1)) == rw.rewrite(TEXT, params, random.Random(2))


def test_offline_hub_id_that_is_not_cached_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rw = LLMParaphrase("rewrite-bench-tests/no-such-model-3f9a")
    start = time.perf_counter()
    with pytest.raises(BenchError, match=r"no-such-model-3f9a.*network.*local model directory"):
        rw.rewrite(TEXT, rw.strengths["light"], random.Random(0))
    assert time.perf_counter() - start < 5


def test_missing_local_directory_is_named(tmp_path: Path) -> None:
    rw = LLMParaphrase(str(tmp_path / "no-model-here"))
    with pytest.raises(BenchError, match="no-model-here.*does not exist"):
        rw.load()


# --- openai backend against a stub server ----------------------------------------------------

class _Stub(ThreadingHTTPServer):
    daemon_threads = True
    mode = "reverse"
    requests: list[dict[str, Any]]


class _Handler(BaseHTTPRequestHandler):
    server: _Stub

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "body": body,
                                     "authorization": self.headers.get("Authorization")})
        paragraph = body["messages"][-1]["content"].rsplit("\n\n", 1)[-1]
        mode = self.server.mode
        if mode == "error":
            self._send(500, b'{"error": "model exploded"}')
            return
        if mode == "slow":
            time.sleep(1.0)
        content = {
            "reverse": " ".join(reversed(paragraph.split())),
            "chatty": "Sure, here is the rewritten text:\n\n" + " ".join(reversed(paragraph.split())),
            "slow": "late",
            "echo": paragraph,
            "empty": "",
        }[mode]
        reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
        self._send(200, json.dumps(reply).encode())

    def _send(self, status: int, payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)


@pytest.fixture
def stub() -> Iterator[_Stub]:
    server = _Stub(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _base(server: _Stub) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_openai_request_carries_model_sampling_seed_and_prompt(stub: _Stub,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RB_TEST_KEY", "secret-123")
    rw = LLMParaphrase("served-model", api_base=_base(stub) + "/", api_key_env="RB_TEST_KEY",
                       system="You are an editor.", top_p=0.8, max_new_tokens=256)
    params = rw.strengths["heavy"]
    out = rw.rewrite(TEXT, params, random.Random(5))
    paragraphs = split_paragraphs(TEXT)
    assert split_paragraphs(out) == [" ".join(reversed(p.split())) for p in paragraphs]
    assert len(stub.requests) == 2
    for request, paragraph in zip(stub.requests, paragraphs):
        body = request["body"]
        assert request["path"] == "/v1/chat/completions"
        assert request["authorization"] == "Bearer secret-123"
        assert body["model"] == "served-model"
        assert body["temperature"] == params["temperature"] and body["top_p"] == 0.8
        assert body["max_tokens"] == 256 and isinstance(body["seed"], int)
        assert body["messages"][0] == {"role": "system", "content": "You are an editor."}
        user = body["messages"][1]
        assert user["role"] == "user" and user["content"].startswith("Completely rewrite")
        assert user["content"].endswith("\n\n" + paragraph)
    seeds = [r["body"]["seed"] for r in stub.requests]
    assert len(set(seeds)) == 2

    stub.requests.clear()
    assert rw.rewrite(TEXT, params, random.Random(5)) == out
    assert [r["body"]["seed"] for r in stub.requests] == seeds  # same rng seed, same request seeds
    stub.requests.clear()
    rw.rewrite(TEXT, params, random.Random(6))
    assert [r["body"]["seed"] for r in stub.requests] != seeds


def test_openai_without_key_or_system_and_chatty_reply(stub: _Stub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    stub.mode = "chatty"
    rw = LLMParaphrase("m", api_base=_base(stub))
    out = rw.rewrite(TEXT, rw.strengths["light"], random.Random(0))
    assert not out.lower().startswith("sure") and len(split_paragraphs(out)) == 2
    request = stub.requests[0]
    assert request["authorization"] is None
    assert [m["role"] for m in request["body"]["messages"]] == ["user"]
    assert request["body"]["messages"][0]["content"].startswith("Lightly paraphrase")


def test_openai_http_error_is_a_clear_bench_error(stub: _Stub) -> None:
    stub.mode = "error"
    rw = LLMParaphrase("m", api_base=_base(stub))
    url = re.escape(_base(stub) + "/chat/completions")
    with pytest.raises(BenchError, match=url + " answered HTTP 500.*model exploded"):
        rw.rewrite(TEXT, rw.strengths["medium"], random.Random(0))


def test_openai_timeout_is_a_clear_bench_error(stub: _Stub) -> None:
    stub.mode = "slow"
    rw = LLMParaphrase("m", api_base=_base(stub), timeout=0.3)
    with pytest.raises(BenchError, match=r"chat/completions did not answer within 0\.3 s"):
        rw.rewrite(TEXT, rw.strengths["medium"], random.Random(0))


def test_openai_unreachable_endpoint_is_named() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rw = LLMParaphrase("m", api_base=f"http://127.0.0.1:{port}/v1", timeout=5)
    with pytest.raises(BenchError, match=rf"cannot reach http://127\.0\.0\.1:{port}/v1/chat/completions"):
        rw.rewrite(TEXT, rw.strengths["medium"], random.Random(0))


@pytest.mark.parametrize("mode, fragment", [("echo", "unchanged"), ("empty", "empty output for paragraph 1")])
def test_openai_identical_or_empty_output_is_a_rewrite_error(stub: _Stub, mode: str, fragment: str) -> None:
    stub.mode = mode
    rw = LLMParaphrase("m", api_base=_base(stub))
    with pytest.raises(RewriteError, match=fragment):
        rw.rewrite(TEXT, rw.strengths["light"], random.Random(0))
