"""Plain text and source code: the whole file as one document (chunking cuts it later).

Also the fallback for any suffix no other loader claims; binary and non-UTF-8 files are
refused here (`decode_text`).
"""

from __future__ import annotations

from pathlib import Path

from embmagic.core.loaders.base import Document, decode_text, file_metadata


class TextLoader:
    name = "text"
    suffixes = (
        ".txt", ".text", ".rst", ".py", ".js", ".ts", ".c", ".h", ".cpp", ".java", ".go",
        ".rs", ".sh", ".sql", ".json", ".yaml", ".yml", ".toml", ".csv", ".tex",
    )  # fmt: skip

    def sniff(self, head: bytes) -> bool:
        return False

    def load(self, path: Path, raw: bytes) -> list[Document]:
        return [Document(str(path), decode_text(raw), file_metadata(path))]


LOADER = TextLoader()
