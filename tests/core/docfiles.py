"""Real documents made at test time: a PDF written by pypdf, HTML with boilerplate, nested
Markdown. Shared by the loader, magic and RAG tests."""

from __future__ import annotations

import io

PAGES = ["Ferns like moist soil and shade.", "Cacti need little water in winter."]


def pdf_bytes(pages: list[str], title: str | None = "Plant report") -> bytes:
    """A real PDF with one text line per page: pypdf objects, Helvetica, a content stream each."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    }))  # fmt: skip
    for text in pages:
        page = writer.add_blank_page(612, 792)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def ascii_pdf_bytes(pages: list[str]) -> bytes:
    """The same PDF with its binary comment line made ASCII (same length, so offsets hold):
    a PDF that passes every is-it-text test."""
    raw = pdf_bytes(pages)
    head, rest = raw.split(b"\n", 1)
    comment, tail = rest.split(b"\n", 1)
    ascii_raw = head + b"\n%" + b"a" * (len(comment) - 1) + b"\n" + tail
    ascii_raw.decode("ascii")  # really ASCII
    return ascii_raw


HTML = """<!DOCTYPE html>
<html><head><title>Plant care</title><style>body { color: red }</style>
<script>var tracker = "SCRIPTSECRET";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/shop">NAVSHOP</a> | <a href="/about">About</a></nav>
<main><article><h1>Watering ferns</h1>
<p>Ferns like their soil moist but never soggy. Water them when the top centimetre of soil
feels dry to the touch.</p>
<p>In winter, water less often: the plant grows slowly and the soil dries out slowly too.</p>
</article></main>
<footer><p>FOOTERTEXT Copyright 2024 Example Gardens. All rights reserved.</p></footer>
</body></html>
"""

MARKDOWN = """Intro before any heading.

# Guide

## Watering

Water ferns weekly.

```
# not a heading
```

### In *winter*

Less water.

## Light
Bright, indirect.
"""
