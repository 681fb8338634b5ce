"""The magics' one door to the widgets: `%emb map`, `%neighbors --widget/--show`, `%rag --widget`.

Widgets are imported here only when asked for, so `%load_ext embmagic` never loads anywidget.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from embmagic.app.results import AnalogyResult, NeighborsResult
from embmagic.app.workspace import Workspace
from embmagic.errors import InvalidArgumentError

if TYPE_CHECKING:
    from embmagic.widgets.explorer import Explorer
    from embmagic.widgets.map import Map
    from embmagic.widgets.rag_panel import RagPanel


def open_map(ws: Workspace, names: list[str], args: argparse.Namespace) -> Map:
    """`%emb map COLL [COLL ...] [--color-by KEY] [--method pca|umap] [--clusters N|auto]
    [--html PATH]`: with --html the map is also saved as a standalone page (a bad path fails
    before anything is computed or written)."""
    from embmagic.widgets.map import Map
    from embmagic.widgets.standalone import check_html_path

    html = getattr(args, "html", None)
    if html is not None:
        check_html_path(html)
    m = Map(names, workspace=ws, color_by=args.color_by, method=args.method,
            clusters=args.clusters)  # fmt: skip
    if html is not None:
        m.save_html(html)
    return m


def open_explorer(ws: Workspace, args: argparse.Namespace, query: str) -> Explorer:
    """`%neighbors [QUERY] [-c COLL] [-k K] [--mode MODE] --widget`."""
    from embmagic.widgets.explorer import Explorer

    if args.id is not None or args.where or args.mmr or args.rerank or args.rerank_depth:
        msg = "--widget takes a query, -c, -k and --mode (not --id, --where, --mmr, --rerank)"
        raise InvalidArgumentError(msg)
    return Explorer(args.collection, workspace=ws, query=query, k=args.k, mode=args.mode)


def open_rag_panel(ws: Workspace, args: argparse.Namespace, question: str) -> RagPanel:
    """`%rag [QUESTION] [-c COLL] [-k K] [--llm NAME] [--mode MODE] [--rerank MODEL]
    [--rerank-depth N] --widget` (a question is asked at once)."""
    from embmagic.widgets.rag_panel import RagPanel

    if args.show_prompt or args.no_generate:
        raise InvalidArgumentError("--widget does not combine with --show-prompt/--no-generate")
    return RagPanel(args.collection, workspace=ws, question=question, k=args.k,
                    generator=args.llm, mode=args.mode, rerank=args.rerank,
                    rerank_depth=args.rerank_depth)  # fmt: skip


def map_named(namespace: Mapping[str, Any], name: str) -> Map:
    """The Map bound to `name` in the user's namespace (for `--show NAME`)."""
    from embmagic.widgets.map import Map

    if name not in namespace:
        msg = f"--show {name}: no variable {name!r}; create a map first: {name} = %emb map COLL"
        raise InvalidArgumentError(msg)
    found = namespace[name]
    if not isinstance(found, Map):
        kind = type(found).__name__
        msg = f"--show {name}: {name!r} is a {kind}, not a map; create one: {name} = %emb map COLL"
        raise InvalidArgumentError(msg)
    return found


def show_on_map(
    namespace: Mapping[str, Any], name: str, result: NeighborsResult | AnalogyResult
) -> None:
    """Highlight a result's records on the map called `name`."""
    map_named(namespace, name).show(result)
