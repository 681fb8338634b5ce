# /// script
# requires-python = ">=3.10"
# dependencies = ["embmagic", "marimo>=0.25"]
# ///
"""embmagic in marimo: no magics, no IPython: the Workspace API and the widgets.

Open it with `marimo edit notebooks/07_marimo.py` (or `marimo run` for the app view). CI runs
it as a script (`python notebooks/07_marimo.py`, tests/app/test_marimo_example.py) and the
same widgets are driven in a real marimo page by tests/browser/test_marimo.py.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    mo.md(
        """
        # Embeddings in marimo

        Everything a magic does is one `Workspace` call; the widgets take collections directly.
        Models load offline from PyPI packages (MiniLM for text).
        """
    )
    return (mo,)


@app.cell
def _():
    from embmagic import Workspace

    ws = Workspace()
    ws.options.show_progress = False
    notes = [
        "The cat sleeps on the warm windowsill all afternoon.",
        "A kitten chases a ball of yarn across the floor.",
        "Our dog fetches the stick from the lake every morning.",
        "Saturn's rings are made of ice and rock.",
        "Jupiter is the largest planet in the solar system.",
        "The rocket reached orbit ten minutes after launch.",
        "Knead the dough, then let it rise for an hour before baking.",
        "A pinch of salt brings out the sweetness of caramel.",
        "Slow-roasted tomatoes make a rich pasta sauce.",
    ]
    added = ws.embed("notes", notes)
    print(added.summary().split(" · in ")[0])
    return (ws,)


@app.cell
def _(mo, ws):
    hits = ws.neighbors("a sleepy pet", collection="notes", k=3)
    mo.ui.table(hits.to_pandas()[["rank", "score", "text"]].round(4), selection=None)
    return (hits,)


@app.cell
def _(hits):
    print(hits[0].text)
    return


@app.cell
def _(ws):
    answer = ws.ask("Which planet is the largest?", collection="notes")
    print(answer.answer)
    return


@app.cell
def _(mo, ws):
    from embmagic.widgets import Explorer, Map, RagPanel

    m = Map(ws.collection("notes"), clusters=3)
    print(m.clusters.groupby("cluster")["label"].first().to_dict())
    mo.ui.anywidget(m)
    return Explorer, RagPanel


@app.cell
def _(Explorer, mo, ws):
    mo.ui.anywidget(Explorer(ws.collection("notes"), query="baking bread", k=3))
    return


@app.cell
def _(RagPanel, mo, ws):
    mo.ui.anywidget(RagPanel(ws.collection("notes"), question="What are Saturn's rings made of?"))
    return


if __name__ == "__main__":
    app.run()
