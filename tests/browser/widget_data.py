"""The small, deterministic collection the marimo app and its test both build (fake encoder)."""

from __future__ import annotations

import random
from typing import Any

TOPICS = {
    "cats": "cat kitten whiskers purr mouse windowsill nap fur",
    "finance": "stock bond market price interest bank loan dividend",
    "space": "planet rocket orbit star galaxy moon astronaut comet",
    "cooking": "recipe oven flour butter sauce garlic pasta bake",
}


def build(ws: Any) -> Any:
    """Collection "a": 25 records per topic, metadata `topic`; returns it."""
    ws.options.model = "fake-64"
    ws.options.show_progress = False
    rng = random.Random(0)
    for topic, words in TOPICS.items():
        batch = [f"a{i} {topic}: " + " ".join(rng.sample(words.split(), 4)) for i in range(25)]
        ws.embed("a", batch, meta={"topic": topic})
    return ws.collection("a")
