"""`%neighbors` and `%analogy`: flags to one workspace call (and to the widgets when asked).

The searching and the vector arithmetic are the application layer's; nothing here ranks.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from embmagic.app.workspace import Workspace
from embmagic.errors import InvalidArgumentError
from embmagic.magics import widget_magics


def run_neighbors(ws: Workspace, args: argparse.Namespace, query: str,
                  namespace: Mapping[str, Any]) -> Any:
    """`%neighbors`: a NeighborsResult, or the explorer with `--widget`."""
    if args.widget:
        if args.show:
            raise InvalidArgumentError("use --widget or --show MAP, not both")
        if args.image:
            raise InvalidArgumentError("--image shows a table: drop --widget (the explorer "
                                       "searches by text)")
        return widget_magics.open_explorer(ws, args, query)
    if args.show:
        widget_magics.map_named(namespace, args.show)  # fail before searching
    result = ws.neighbors(query or None, collection=args.collection, k=args.k, id=args.id,
                          where=args.where, mmr=args.mmr, image=args.image,
                          mode=args.mode, rerank=args.rerank, rerank_depth=args.rerank_depth)
    if args.show:
        widget_magics.show_on_map(namespace, args.show, result)
    return result


def run_analogy(ws: Workspace, args: argparse.Namespace, expression: str,
                namespace: Mapping[str, Any]) -> Any:
    """`%analogy`: an AnalogyResult, or an AnalogyEvalResult with `--eval PATH`."""
    if args.eval is not None:
        if args.show:
            raise InvalidArgumentError("--show does not combine with --eval")
        if expression:
            raise InvalidArgumentError("--eval PATH takes no analogy expression")
        return ws.evaluate_analogies(args.eval, space=args.space)
    if args.show:
        widget_magics.map_named(namespace, args.show)
    result = ws.analogy(expression, k=args.k, method=args.method, space=args.space,
                        include_inputs=args.include_inputs)
    if args.show:
        widget_magics.show_on_map(namespace, args.show, result)
    return result
