"""Result tables in the page: text columns left-aligned and wrapping, number columns
right-aligned, for every result type (JupyterLab and Notebook 7 right-align cells by default)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

ALIGN_JS = """(table) => {
  const heads = Array.from(table.querySelectorAll('thead th')).map(th => th.textContent);
  const first = table.querySelector('tbody tr');
  const cells = first ? Array.from(first.querySelectorAll('td')) : [];
  return heads.map((name, i) => {
    const style = cells[i] ? getComputedStyle(cells[i]) : null;
    return [name, style ? style.textAlign : null, style ? style.whiteSpace : null];
  });
}"""

NUMBERS = {"rank", "score", "id", "records", "dim", "source"}
TEXTS = {"text", "metadata", "name", "model", "index", "property", "value", "collection"}


def aligned(p: Any, code: str) -> dict[str, tuple[str, str]]:
    p.run(code)
    table = p.nb.output().locator("table").first
    rows = p.page.evaluate(ALIGN_JS, table.element_handle())
    return {name: (align, space) for name, align, space in rows}


def test_text_left_numbers_right_in_every_result(notebook: Any) -> None:
    p = notebook()
    p.run("%%embed notes --meta topic=demo\nA long sentence about cats that sleep on the warm "
          "windowsill all afternoon, long enough to wrap in a narrow column.\nDogs fetch balls.")
    for code in ("%neighbors cats -c notes", "%rag What do cats do? -c notes", "%emb list",
                 "%emb info notes"):
        columns = aligned(p, code)
        assert columns, code
        for name, (align, space) in columns.items():
            if name in NUMBERS:
                assert align == "right", (code, name, align)
            elif name in TEXTS:
                assert align == "left" and space == "normal", (code, name, align, space)
