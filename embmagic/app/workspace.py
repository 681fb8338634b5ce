"""`Workspace`: the Python API. Every magic is one call of one of its methods.

    from embmagic import Workspace
    ws = Workspace()                                  # its own options: ws.options.k = 10
    ws.embed("docs", ["FAISS searches vectors.", "Jupyter runs notebooks."])
    ws.neighbors("vector search", collection="docs", k=1)
    ws.ask("What searches vectors?", collection="docs")

The magics hold one workspace per IPython shell (`%load_ext embmagic` makes it the default
workspace); widgets given collection names, and anything that needs an engine for a collection
it was handed, use `default_workspace()`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from embmagic.app import ask as _ask
from embmagic.app import evaluate, ingest, manage, search
from embmagic.app.session import Session
from embmagic.errors import InvalidArgumentError
from embmagic.types import Metadata, SearchMode, Where

if TYPE_CHECKING:
    from embmagic.app.jobs import Job
    from embmagic.app.results import (
        AnalogyEvalResult,
        AnalogyResult,
        EmbedResult,
        MessageResult,
        NeighborsResult,
        RagResult,
        RetrievalEvalResult,
        TableResult,
    )
    from embmagic.store import BaseCollection


class Workspace(Session):
    """Collections, engines and options, with one method per user action."""

    # -- embedding -------------------------------------------------------------------------

    def embed(self, collection: str, texts: Any, *, column: str | None = None,
              meta: Metadata | None = None, model: str | None = None, on: str = "local",
              out: str | None = None, meta_columns: Sequence[str] = (),
              background: bool = False) -> EmbedResult | Job[EmbedResult]:
        """Embed a list of str, a Series or a DataFrame `column` (`%embed COLL --from VAR`);
        `meta_columns`: DataFrame columns kept as typed metadata (`["all"]`: every other one).
        background=True returns a running `Job` at once (app/jobs.py), here and below."""
        batch = ingest.values_batch(texts, _name_of(texts), column, meta, meta_columns)
        return self.embed_batch(collection, batch, model=model, on=on, out=out,
                                background=background)

    def embed_text(self, collection: str, body: str, *, split: str = "auto",
                   meta: Metadata | None = None, model: str | None = None,
                   background: bool = False) -> EmbedResult | Job[EmbedResult]:
        """Embed a body of text split into records (`%%embed COLL --split MODE`)."""
        return self.embed_batch(collection, ingest.text_batch(body, split, meta), model=model,
                                background=background)

    def embed_files(self, collection: str, pattern: str, *, chunk: int | None = None,
                    overlap: int = 0, meta: Metadata | None = None, model: str | None = None,
                    on: str = "local", out: str | None = None, sync: bool = False,
                    background: bool = False) -> EmbedResult | Job[EmbedResult]:
        """Embed files matching a glob (`%embed COLL --files GLOB --chunk N`): PDF pages, HTML
        main text, Markdown sections, notebook cells, text; cut into chunks of `chunk` model
        tokens (default: the model's window). `sync`: make the collection's file records
        match the files (`--sync`, app/sync.py)."""
        _check_on(on, out, background)
        if sync:
            if on == "ray":
                raise InvalidArgumentError("--sync runs locally: drop --on ray")
            if background:
                raise InvalidArgumentError("--sync runs in the foreground: drop --background")
            from embmagic.app.sync import sync_files

            return sync_files(self, collection, pattern, chunk=chunk, overlap=overlap,
                              meta=meta, model=model)
        if on == "ray":
            return ingest.embed_files_on_ray(self, collection, pattern, chunk=chunk,
                                             overlap=overlap, meta=meta, model=model, out=out)
        encoder = ingest.engine_for(self, collection, model)
        batch = ingest.files_batch(pattern, chunk, overlap, meta, encoder=encoder)
        return self.embed_batch(collection, batch, model=model, background=background)

    def embed_images(self, collection: str, pattern: str | os.PathLike[str] | list[str], *,
                     model: str | None = None, meta: Metadata | None = None,
                     sync: bool = False, background: bool = False
                     ) -> EmbedResult | Job[EmbedResult]:
        """Embed image files matching a glob with a CLIP model (`%embed COLL --images GLOB
        --model clip-ViT-B-32`): records are their paths, thumbnails and sizes (docs/images.md).
        `sync`: make the collection's image records match the files (`--sync`); `background`:
        run in a job and return it at once (`--background`)."""
        from embmagic.app.images import embed_images, sync_images

        if sync:
            if background:
                raise InvalidArgumentError("--sync runs in the foreground: drop --background")
            return sync_images(self, collection, pattern, model=model, meta=meta)
        return embed_images(self, collection, pattern, model=model, meta=meta,
                            background=background)

    def embed_batch(self, collection: str, batch: ingest.Batch, *, model: str | None = None,
                    on: str = "local", out: str | None = None, background: bool = False
                    ) -> EmbedResult | Job[EmbedResult]:
        """Embed prepared texts with their metadata, locally or on Ray."""
        _check_on(on, out, background)
        if on == "ray":
            return ingest.embed_batch_on_ray(self, collection, batch, model=model, out=out)
        if background:
            from embmagic.app.background import embed_batch_job

            return embed_batch_job(self, collection, batch, model=model)
        return ingest.embed_batch(self, collection, batch, model=model)

    # -- searching -------------------------------------------------------------------------

    def neighbors(self, query: str | None = None, *,
                  collection: str | BaseCollection | None = None, k: int | None = None,
                  id: int | None = None, where: Where | None = None,
                  mmr: bool = False, mode: SearchMode | None = None,
                  rerank: str | None = None, rerank_depth: int | None = None,
                  image: Any = None) -> NeighborsResult:
        """Nearest records to a text, a stored record's id, or an image (a path or PIL image;
        `%neighbors --image PATH`, in a collection embedded with a CLIP model); `mode`: dense,
        lexical or hybrid (None: the search_mode option; dense for images); `rerank`: a
        cross-encoder (folder or cached name) choosing the k best of `rerank_depth` candidates
        (default max(50, k))."""
        return search.neighbors(self, query, collection=collection, k=k, id=id, where=where,
                                mmr=mmr, mode=mode, rerank=rerank, rerank_depth=rerank_depth,
                                image=image)

    def analogy(self, expression: str, *, k: int | None = None, method: search.Method = "add",
                space: str | None = None, include_inputs: bool = False) -> AnalogyResult:
        """`king - man + woman` in GloVe or a collection's space (`%analogy`)."""
        return search.analogy(self, expression, k=k, method=method, space=space,
                              include_inputs=include_inputs)

    def evaluate_analogies(self, path: str, *, space: str | None = None) -> AnalogyEvalResult:
        """Accuracy on a Google-format analogy file (`%analogy --eval PATH`)."""
        return search.evaluate_analogies(self, path, space=space)

    def evaluate_retrieval(self, collections: str | BaseCollection
                           | Sequence[str | BaseCollection], qrels: evaluate.QrelsSource, *,
                           k: int = 10, modes: Sequence[str] | None = None,
                           queries: str | None = None, by: str | None = None
                           ) -> RetrievalEvalResult:
        """recall@k, MRR@k, nDCG@10 per collection and search mode (`%emb eval`): `qrels` is a
        JSONL or TREC file (TREC: `queries` = QUERY_ID<TAB>TEXT file) or a list of
        {"query": ..., "relevant": [ids or texts]}; `by=KEY`: documents by metadata KEY."""
        return evaluate.evaluate_retrieval(self, collections, qrels, k=k, modes=modes,
                                           queries=queries, by=by)

    def ask(self, question: str, *, collection: str | BaseCollection | None = None,
            k: int | None = None, llm: str | Any = None, generate: bool = True,
            show_prompt: bool = False,
            on_start: Callable[[Any], Callable[[str], None] | None] | None = None,
            mode: SearchMode | None = None, rerank: str | None = None,
            rerank_depth: int | None = None) -> RagResult:
        """Answer from a collection with cited sources (`%rag`); `mode` retrieves them dense,
        lexical or hybrid (None: the search_mode option); `rerank`: a cross-encoder choosing
        the k sources from `rerank_depth` candidates (default max(50, k))."""
        return _ask.ask(self, question, collection=collection, k=k, llm=llm,
                        generate=generate, show_prompt=show_prompt, on_start=on_start,
                        mode=mode, rerank=rerank, rerank_depth=rerank_depth)

    # -- managing --------------------------------------------------------------------------

    def list_collections(self) -> TableResult:
        """Every collection with its size, model and index (`%emb list`)."""
        return manage.list_collections(self)

    def info(self, name: str) -> TableResult:
        """One collection's properties and memory (`%emb info COLL`)."""
        return manage.info(self, name)

    def save(self, name: str, path: str) -> MessageResult:
        """Write a collection to a folder, atomically (`%emb save COLL PATH`)."""
        return manage.save(self, name, path)

    def load(self, path: str, *, as_name: str | None = None) -> MessageResult:
        """Open any saved collection and add it (`%emb load PATH --as NAME`)."""
        return manage.load(self, path, as_name)

    def index(self, name: str, kind: str, *, on_disk: str | None = None, yes: bool = False,
              background: bool = False, **params: Any) -> MessageResult | Job[MessageResult]:
        """Rebuild a collection's index as another kind (`%emb index COLL --kind KIND`);
        background=True builds it in a `Job` (in-memory kinds; not with on_disk)."""
        if background:
            from embmagic.app.background import index_job

            if on_disk is not None:
                raise InvalidArgumentError("--background does not go with --on-disk: "
                                           "moving a collection on disk runs in the cell")
            return index_job(self, name, kind, params, yes=yes)
        return manage.index(self, name, kind, params, on_disk=on_disk, yes=yes)

    def models(self) -> TableResult:
        """The models this machine can load (`%emb models`)."""
        return manage.models(self)

    def device(self) -> MessageResult:
        """The device engines run on (`%emb device`)."""
        return manage.device(self)


def _check_on(on: str, out: str | None, background: bool = False) -> None:
    ingest.check_on(on)
    if background and on != "local":
        raise InvalidArgumentError("--background works with --on local; "
                                   "a Ray embed (--on ray) runs in the cell")
    if out is not None and on != "ray":
        raise InvalidArgumentError("--out DIR goes with --on ray (where the Parquet shards go)")


def _name_of(texts: Any) -> str:
    """What `--from VAR` would call the values (their Series/DataFrame name, else "texts")."""
    name = getattr(texts, "name", None)
    return str(name) if isinstance(name, str) else "texts"


_current: list[Workspace] = []
"""The default workspace, once made or set (a process-wide default, like matplotlib's current
figure: the one piece of module state, so plain Python works without passing a workspace)."""


def default_workspace() -> Workspace:
    """The workspace of `%load_ext embmagic` in this kernel, else one made on first use."""
    if not _current:
        _current.append(Workspace())
    return _current[-1]


def use_workspace(workspace: Workspace) -> None:
    """Make `workspace` the default (`%load_ext embmagic` makes the shell's one the default)."""
    _current[:] = [workspace]


def forget_workspace(workspace: Workspace) -> None:
    """Stop using `workspace` as the default (the next use makes a fresh one)."""
    if _current and _current[-1] is workspace:
        _current.clear()


def collections_of(given: str | BaseCollection | Sequence[str | BaseCollection],
                   workspace: Workspace | None = None) -> list[BaseCollection]:
    """Collections given by name (looked up in `workspace`) or as themselves."""
    ws = workspace or default_workspace()
    items = [given] if isinstance(given, str) or not isinstance(given, Sequence) else list(given)
    return [ws.resolve(c) for c in items]

