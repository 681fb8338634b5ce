"""Typed errors. Library code raises these; only the magics turn them into one-line UsageErrors."""

from __future__ import annotations


class EmbmagicError(Exception):
    """Base class of every error embmagic raises on purpose. The message is one line for a user."""


class InvalidArgumentError(EmbmagicError, ValueError):
    """An argument has a value that cannot work (k <= 0, unknown option value, empty text...)."""


class ModelNotFoundError(EmbmagicError):
    """A model name that is neither an alias, an installed package, nor a loadable path/name."""


class DeviceMemoryError(EmbmagicError):
    """The device ran out of memory even when encoding one text at a time."""


class ModelIntegrityError(EmbmagicError):
    """Bundled weights whose checksum differs from the upstream file: never loaded silently."""


class UnknownWordError(EmbmagicError, KeyError):
    """Words missing from a static word-vector vocabulary; `.words` lists them."""

    def __init__(self, words: list[str], vocabulary: str = "the vocabulary") -> None:
        self.words = list(words)
        shown = ", ".join(repr(w) for w in self.words[:10])
        more = f" (and {len(self.words) - 10} more)" if len(self.words) > 10 else ""
        super().__init__(f"not in {vocabulary}: {shown}{more}")

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0])


class DimensionMismatchError(EmbmagicError):
    """Vectors whose width differs from the collection's."""


class ModelMismatchError(EmbmagicError):
    """Vectors from a different model than the one a collection was built with."""


class CollectionNotFoundError(EmbmagicError, KeyError):
    """No collection of that name in the session."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "collection not found"


class RecordNotFoundError(EmbmagicError, KeyError):
    """No record with that id in the collection."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "record not found"


class StoreFormatError(EmbmagicError):
    """A saved collection that is missing, incomplete, tampered with or not ours."""


class AnalogyExpressionError(EmbmagicError):
    """An analogy expression that cannot be parsed."""


class GenerationError(EmbmagicError):
    """A RAG generator that could not answer (unreachable, refused, misconfigured)."""


class ReadOnlyCollectionError(EmbmagicError):
    """A change (add, delete) asked of a collection opened read-only, e.g. an on-disk one."""


class StoreLockedError(EmbmagicError):
    """A change asked of a store folder (`store_dir`) that another live process is writing."""


class CollectionBusyError(EmbmagicError):
    """A change asked of a collection while a background job holds it (one job at a time)."""


class JobCancelledError(EmbmagicError):
    """`job.result()` of a background job that was cancelled (its collection is unchanged)."""


def utf8(text: str) -> bytes:
    """`text` as UTF-8; InvalidArgumentError (one line) for a lone surrogate such as "\\ud800",
    which Python strings can hold (JSON escapes, `--from` lists) but no encoder or file can."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        shown = text if len(text) <= 40 else text[:40] + "..."
        where = "" if bad == text else f"text {shown!r} holds "
        msg = f"{where}{bad!r} at position {exc.start} is a lone surrogate, not valid Unicode"
        raise InvalidArgumentError(msg) from None
