"""Run by tests/app/test_plain_python.py in a fresh process: no IPython shell anywhere.

Builds a collection with the store and an engine only, opens every widget on it and drives
what a person does in them; prints one JSON line with what came back.
"""

from __future__ import annotations

import json

import numpy as np
from IPython import get_ipython

from embmagic import Workspace
from embmagic.engine import load_engine
from embmagic.store import Collection
from embmagic.widgets import Explorer, Map, RagPanel

TOPICS = ("space", "food", "music")


def command(widget: object, name: str, msg: dict[str, object], buffers: list[bytes]) -> dict:
    """A front-end command, sent the way the front end does (what a click sends); its reply
    as `{"ok": ..., **fields}` (docs/widgets.md, "Commands")."""
    replies: list[dict] = []
    widget.send = lambda content, buffers=None: replies.append(content)  # type: ignore[attr-defined]
    request = {"id": "r1", "kind": "embmagic-request", "name": name, "msg": msg}
    widget._handle_custom_msg(request, buffers)  # type: ignore[attr-defined]
    reply = replies[0]
    assert reply["kind"] == "embmagic-reply" and reply["id"] == "r1", reply
    return {"ok": reply["ok"], **reply.get("reply", {})} if reply["ok"] else reply


def main() -> None:
    assert get_ipython() is None, "this must run outside IPython"
    engine = load_engine("fake-64")
    texts = [f"{topic} note number {i}" for i in range(12) for topic in TOPICS]
    coll = Collection("notes", engine.model_id, engine.dim)
    coll.add(texts, engine.embed(texts), [{"topic": t.split()[0]} for t in texts])

    m = Map(coll, color_by="topic")
    hits = m.query("food note number 4", k=3)
    picked = np.array([hits[0]["row"], hits[1]["row"]], dtype="<u4").tobytes()
    selected = command(m, "select", {"count": 2}, [picked])

    ex = Explorer(coll, query="music note number 7", k=2)
    panel = RagPanel(coll, question="Which note is about space number 5?")

    ws = Workspace()  # the same actions as the magics, as plain method calls
    ws.options.model = "fake-64"
    ws.embed("docs", texts)
    same = ws.neighbors("food note number 4", collection="docs", k=3)
    print(json.dumps({
        "map_hits": [h["text"] for h in hits],
        "select_reply": selected,
        "selected": [int(i) for i in m.selected],
        "selected_ids": [h["id"] for h in hits[:2]],
        "explorer": [r["text"] for r in ex.results],
        "explorer_status": ex.status,
        "answer": panel.answer,
        "cited": panel.cited,
        "ws_hits": [h.text for h in same],
        "ipython_shell": get_ipython() is not None,
    }))


if __name__ == "__main__":
    main()
