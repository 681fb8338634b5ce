"""`%rag` / `%%rag`: flags to one workspace call, with a live view while a model streams."""

from __future__ import annotations

import argparse
from typing import Any

from embmagic.app.workspace import Workspace
from embmagic.magics import widget_magics


class StreamDisplay:
    """One display that grows as chunks arrive (`display_id` + `update`), cleared at the end.

    The result object returned by the magic shows the final, deterministic answer; this live
    view exists only while a language model is generating.
    """

    def __init__(self, generator: str) -> None:
        self.header = f"Answering ({generator})…\n"
        self.text = ""
        self.handle: Any = None

    def __call__(self, chunk: str) -> None:
        from IPython.display import display

        self.text += chunk
        bundle = {"text/plain": self.header + self.text}
        if self.handle is None:
            self.handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self.handle.update(bundle, raw=True)

    def close(self) -> None:
        """Empty the live display: the result object shows the final answer."""
        if self.handle is not None:
            self.handle.update({"text/plain": ""}, raw=True)


def run_rag(ws: Workspace, args: argparse.Namespace, question: str) -> Any:
    """`%rag`: a RagResult, or the RAG panel with `--widget`."""
    from embmagic.core.rag import streams

    if args.widget:
        return widget_magics.open_rag_panel(ws, args, question)
    live: list[StreamDisplay] = []

    def on_start(generator: Any) -> StreamDisplay | None:
        if not streams(generator):
            return None
        live.append(StreamDisplay(f"{generator.name} ({generator.model})"))
        return live[0]

    try:
        return ws.ask(question, collection=args.collection, k=args.k, llm=args.llm,
                      generate=not args.no_generate, show_prompt=bool(args.show_prompt),
                      on_start=on_start, mode=args.mode, rerank=args.rerank,
                      rerank_depth=args.rerank_depth)  # fmt: skip
    finally:
        for view in live:
            view.close()
