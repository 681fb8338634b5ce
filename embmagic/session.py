"""Per-shell state: the collections a user built and the engines loaded to build them.

One Session belongs to one `EmbMagics` instance (so one IPython shell). Nothing lives in module
globals, so two shells, or two tests, never see each other's collections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from embmagic.errors import CollectionNotFoundError, InvalidArgumentError

if TYPE_CHECKING:
    from embmagic.core.wordspace import WordSpace
    from embmagic.engine import Engine
    from embmagic.store import Collection


class Session:
    """Named collections, loaded engines keyed by (model, device), loaded word spaces."""

    def __init__(self) -> None:
        self.collections: dict[str, Collection] = {}
        self.engines: dict[tuple[str, str], Engine] = {}
        self.word_spaces: dict[str, WordSpace] = {}

    def engine(
        self,
        model: str,
        device: str = "auto",
        *,
        batch_size: int = 32,
        progress: bool | None = None,
    ) -> Engine:
        """The engine for `model` on `device`, loaded once per session (torch is imported here)."""
        key = (model, device)
        engine = self.engines.get(key)
        if engine is None:
            from embmagic.engine import load_engine

            engine = load_engine(model, device=device, batch_size=batch_size, progress=progress)
            self.engines[key] = engine
        return engine

    def collection(self, name: str) -> Collection:
        """The collection called `name`, or a CollectionNotFoundError that lists the known ones."""
        try:
            return self.collections[name]
        except KeyError:
            known = ", ".join(sorted(self.collections)) or "none yet"
            msg = (
                f"no collection named {name!r} (collections: {known}); "
                f"create it with %%embed {name} or %embed {name} --from VAR"
            )
            raise CollectionNotFoundError(msg) from None

    def add_collection(self, collection: Collection, *, replace: bool = False) -> None:
        """Register a collection under its name; refuses to overwrite unless `replace`."""
        if collection.name in self.collections and not replace:
            msg = (
                f"a collection named {collection.name!r} already exists: "
                "drop it first (%emb drop NAME) or load under another name (--as NAME)"
            )
            raise InvalidArgumentError(msg)
        self.collections[collection.name] = collection

    def drop(self, name: str) -> Collection:
        """Remove and return the collection called `name`."""
        collection = self.collection(name)
        del self.collections[name]
        return collection
