"""`Session`: the state of one user's work: collections, loaded engines, word spaces, options.

The magics hold one per IPython shell; a script or marimo notebook makes its own (`Workspace()`,
which adds the actions) or uses `default_workspace()`. Nothing lives in module globals here.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Protocol

from embmagic.app.options import Options
from embmagic.app.store_dir import Collections, check_store_dir
from embmagic.errors import (
    CollectionBusyError,
    CollectionNotFoundError,
    EmbmagicError,
    InvalidArgumentError,
)

if TYPE_CHECKING:
    from embmagic.core.wordspace import WordSpace
    from embmagic.engine import Engine
    from embmagic.engine.cross_encoder import CrossEncoderScorer
    from embmagic.store import BaseCollection


class RunningJob(Protocol):
    """What a session knows of a background job (app/jobs.py's `Job`)."""

    what: str

    @property
    def finished(self) -> bool: ...


class Session:
    """Named collections, engines keyed by (model, device), word spaces, cross-encoders (for
    reranking), and the options."""

    def __init__(self, options: Options | None = None) -> None:
        self.options = options if options is not None else Options()
        self.collections = Collections()
        """Every collection by name; in `options.store_dir` when set (app/store_dir.py)."""
        self.engines: dict[tuple[str, str], Engine] = {}
        self.word_spaces: dict[str, WordSpace] = {}
        self.rerankers: dict[tuple[str, str], CrossEncoderScorer] = {}
        self.jobs: dict[str, RunningJob] = {}  # collection name -> its background job (jobs.py)
        if self.options.store_dir:  # from EMBMAGIC_STORE_DIR, which traitlets does not validate
            try:
                self.collections.attach(check_store_dir(self.options.store_dir))
            except EmbmagicError as exc:  # %load_ext must not fail: one warning line, memory
                self.options.store_dir = ""
                warnings.warn(f"{exc}; collections stay in memory", stacklevel=2)
        self.options.observe(self._store_dir_changed, "store_dir")

    def _store_dir_changed(self, change: dict[str, Any]) -> None:
        """The option was validated (Options._a_store_dir); switch the folder, or put the old
        value back and re-raise when the switch is refused."""
        new = change["new"]
        try:
            self.collections.attach(check_store_dir(new) if new else None)
        except EmbmagicError as exc:
            self.options.set_trait("store_dir", change["old"])  # attaching the old one: no-op
            raise self.options.option_error(str(exc)) from None

    def persist(self, name: str, *, full: bool = False) -> None:
        """Write collection `name`'s change to `store_dir` (nothing when memory only); `full`:
        a full save (after a change the change log cannot express, such as a reindex)."""
        self.collections.save(name, full=full)

    def engine(
        self,
        model: str,
        device: str | None = None,
        *,
        batch_size: int | None = None,
        progress: bool | None = None,
    ) -> Engine:
        """The engine for `model` on `device` (default: the options'), loaded once (torch is
        imported here, not before)."""
        device = device or self.options.device
        key = (model, device)
        engine = self.engines.get(key)
        if engine is None:
            from embmagic.engine import load_engine

            engine = load_engine(
                model, device=device, batch_size=batch_size or self.options.batch_size,
                gpu_batch_size=None if batch_size else self.options.gpu_batch_size,
                progress=self.options.progress if progress is None else progress,
            )  # fmt: skip
            self.engines[key] = engine
        return engine

    def reranker(self, name: str) -> CrossEncoderScorer:
        """The cross-encoder `name` (a folder or a cached Hugging Face name) on the options'
        device, loaded once per session (sentence-transformers is imported here, not before)."""
        key = (name, self.options.device)
        scorer = self.rerankers.get(key)
        if scorer is None:
            from embmagic.engine.cross_encoder import load_cross_encoder

            scorer = load_cross_encoder(name, device=self.options.device)
            self.rerankers[key] = scorer
        return scorer

    def engine_for(self, collection: BaseCollection) -> Engine:
        """The engine that built `collection`: queries must be encoded by the same model."""
        return self.engine(collection.model_id)

    def collection(self, name: str) -> BaseCollection:
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

    def resolve(self, given: str | BaseCollection | None) -> BaseCollection:
        """A collection given by name or as itself. None means the options' default, or the
        only collection there is when the default does not exist (several: the error lists
        them)."""
        if given is None:
            default = self.options.collection
            if default not in self.collections and len(self.collections) == 1:
                return next(iter(self.collections.values()))
            return self.collection(default)
        if isinstance(given, str):
            return self.collection(given)
        return given

    def add_collection(self, collection: BaseCollection, *, replace: bool = False) -> None:
        """Register a collection under its name; refuses to overwrite unless `replace`."""
        if collection.name in self.collections and not replace:
            msg = (
                f"a collection named {collection.name!r} already exists: "
                "drop it first (%emb drop NAME) or load under another name (--as NAME)"
            )
            raise InvalidArgumentError(msg)
        self.collections[collection.name] = collection

    def check_free(self, name: str) -> None:
        """CollectionBusyError (one line) while a background job works on collection `name`."""
        job = self.jobs.get(name)
        if job is not None and not job.finished:
            msg = (f"collection {name!r} is busy: {job.what} is running; wait for it "
                   "(job.result()) or cancel it (job.cancel()) first")
            raise CollectionBusyError(msg)

    def drop(self, name: str) -> BaseCollection:
        """Remove and return the collection called `name` (refused while a job works on it)."""
        self.check_free(name)
        collection = self.collection(name)
        del self.collections[name]
        return collection
