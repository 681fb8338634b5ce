"""What every generator module may use: the streaming rule, token estimates, chat-message
helpers, and `CallableGenerator` (a plain function as a generator)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from embmagic.core.rag.types import ChatMessage, SourceGenerator


def streams(generator: object) -> bool:
    """Whether to stream: language models do; a source-based answer (extractive) is computed at
    once, so a live view would only leave an empty output behind."""
    return not isinstance(generator, SourceGenerator)


def estimate_tokens(text: str) -> int:
    """About four characters per token: the estimate used where no tokenizer is at hand."""
    return (len(text) + 3) // 4


def delta_texts(event: Mapping[str, Any]) -> Iterator[str]:
    """The `choices[].delta.content` pieces of one streamed chat-completion event."""
    for choice in event.get("choices", []):
        content = (choice.get("delta") or {}).get("content")
        if content:
            yield str(content)


def render_messages(messages: Sequence[ChatMessage]) -> str:
    """Messages as plain text, one `role:` header each (what an HTTP endpoint is sent)."""
    return "\n\n".join(f"<{m['role']}>\n{m['content']}\n</{m['role']}>" for m in messages)


@dataclass
class CallableGenerator:
    """Wraps a plain `prompt -> str` function (a user's own LLM call, or a test double)."""

    fn: Callable[[str], str]
    name: str = "callable"
    model: str = "function"

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]:
        """The function's whole answer as one chunk (it cannot stream)."""
        yield self.fn(prompt)
