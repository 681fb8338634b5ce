"""Background jobs: long work (a large embed, an index build) in a worker thread, so the kernel
keeps running cells and answering widgets meanwhile.

`start_job` runs `work(progress)` in a daemon thread and returns a `Job` at once:

- `job.status` / `repr(job)`: deterministic text (running, cancelling, cancelled, failed, done);
- `job.cancel()`: asks the work to stop at its next `progress.check()` and waits until it has;
- `job.result()`: blocks, returns what the work returned, or re-raises its error (the same
  typed error a foreground call raises); a cancelled job raises `JobCancelledError`;
- a progress bar (`tqdm.auto`: a widget in Jupyter, text elsewhere), made in the calling thread
  so it shows in the calling cell, advanced from the worker (tqdm serialises its updates; in
  Jupyter the widget's comm messages go out through ipykernel's thread-safe IOPub socket).

One job per collection name at a time: the name is held in `session.jobs` from the start to the
end of the job, and the collection (when it exists) is leased to the worker thread
(`BaseCollection.lease_writes`), so a write from any other thread gets one CollectionBusyError
line. The work itself decides what is committed when; the embed job (app/background.py) commits
once, at the end, so a cancelled or failed job leaves the collection exactly as it was.

Encoding in ONNX/torch releases the GIL; the worker's own Python work is kept small (one chunk
of texts per step), so a cell in the main thread runs while a job is going on
(bench/bench_background.py measures how fast).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from embmagic.errors import JobCancelledError

if TYPE_CHECKING:
    from embmagic.app.session import Session
    from embmagic.store import BaseCollection

R = TypeVar("R")
Status = Literal["running", "cancelling", "cancelled", "failed", "done"]

BAR_AT = 1000
"""Jobs of at least this many steps show a progress bar when the progress option is auto."""


class _Cancelled(Exception):
    """Raised by `Progress.check` inside the worker once a cancel was asked for."""


class Progress:
    """What the work function sees: `check()` between steps, `advance(n)` after each."""

    def __init__(self, job: Job[Any]) -> None:
        self._job = job

    def check(self) -> None:
        """Stop here (the job ends as cancelled) if `job.cancel()` was called."""
        if self._job._cancel.is_set():
            raise _Cancelled

    def advance(self, n: int) -> None:
        """`n` more steps done."""
        self._job._advance(n)


class Job(Generic[R]):
    """Work running in a background thread; see the module docstring."""

    def __init__(self, what: str, collection: str, total: int, bar: Any = None) -> None:
        self.what, self.collection, self.total = what, collection, total
        self.done = 0
        self._bar = bar
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._status: Status = "running"
        self._value: R | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def status(self) -> Status:
        """running, cancelling (asked to stop, not yet stopped), cancelled, failed or done."""
        if self._status == "running" and self._cancel.is_set():
            return "cancelling"
        return self._status

    @property
    def finished(self) -> bool:
        """Whether the job has ended (done, failed or cancelled)."""
        return self._finished.is_set()

    @property
    def error(self) -> BaseException | None:
        """The exception the work raised (status failed), else None."""
        return self._error

    def __repr__(self) -> str:
        status: str = self.status
        if status == "failed":
            status = f"failed: {_one_line(self._error)}"
        elif status == "cancelled":
            status = f"cancelled, {self.collection!r} unchanged"
        return f"Job({self.what}: {status})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (or `timeout` seconds pass); True when it has ended."""
        return self._finished.wait(timeout)

    def result(self, timeout: float | None = None) -> R:
        """Block until the job ends, then its result, or its error raised again (the same
        exception object); JobCancelledError when it was cancelled. TimeoutError after
        `timeout` seconds if it is still running."""
        if not self._finished.wait(timeout):
            msg = f"{self.what} is still running after {timeout} s"
            raise TimeoutError(msg)
        if self._status == "cancelled":
            msg = f"{self.what} was cancelled; {self.collection!r} is as it was before"
            raise JobCancelledError(msg)
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # done: the work's return value

    def cancel(self, *, wait: bool = True) -> bool:
        """Ask the job to stop and (by default) wait until it has; True if it ends cancelled,
        False if it had already ended. Its collection is left as it was before the job."""
        if self._finished.is_set():
            return self._status == "cancelled"
        self._cancel.set()
        if wait:
            self._finished.wait()
            return self._status == "cancelled"
        return True

    # -- the worker's side -----------------------------------------------------------------

    def _advance(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)

    def _run(self, work: Callable[[Progress], R], cleanup: ExitStack) -> None:
        try:
            self._value = work(Progress(self))
            self._status = "done"
        except _Cancelled:
            self._status = "cancelled"
        except BaseException as exc:  # kept for result(), which raises it again
            self._error, self._status = exc, "failed"
        finally:
            self._close_bar()
            cleanup.close()  # the collection is free for other writers before result() returns
            self._finished.set()

    def _close_bar(self) -> None:
        if self._bar is None:
            return
        if self._status != "done":
            self._bar.set_description(f"{self._status}: {self.what}", refresh=False)
        self._bar.close()


def check_free(session: Session, name: str) -> None:
    """CollectionBusyError (one line) while a job of `session` works on collection `name`."""
    session.check_free(name)


def start_job(session: Session, name: str, what: str, total: int,
              work: Callable[[Progress], R], *, collection: BaseCollection | None = None,
              show_progress: bool | None = None, unit: str = "text",
              bar_at: int = BAR_AT) -> Job[R]:
    """Run `work` in a worker thread on collection `name` (`collection` if it exists already,
    leased to the worker); returns the running Job. One job per name: CollectionBusyError."""
    check_free(session, name)
    job: Job[R] = Job(what, name, total, _bar(what, total, show_progress, unit, bar_at))
    cleanup = ExitStack()  # run by the worker when it ends: lease released, name freed
    thread = threading.Thread(target=job._run, args=(work, cleanup), daemon=True,
                              name=f"embmagic job: {what}")
    try:
        if collection is not None:
            cleanup.enter_context(collection.lease_writes(what, thread))
        session.jobs[name] = job
        cleanup.callback(_forget, session, name, job)
        job._thread = thread
        thread.start()
    except BaseException:
        cleanup.close()
        job._close_bar()
        raise
    return job


def run_here(name: str, what: str, total: int, work: Callable[[Progress], R], *,
             show_progress: bool | None = None, unit: str = "text", bar_at: int = BAR_AT) -> R:
    """Run `work` in the calling thread, with the Progress (and bar) a job gives it: a
    foreground call and its `--background` twin share one work function. Returns what the
    work returned; raises what it raised."""
    job: Job[R] = Job(what, name, total, _bar(what, total, show_progress, unit, bar_at))
    job._run(work, ExitStack())
    return job.result()


def _forget(session: Session, name: str, job: Job[Any]) -> None:
    if session.jobs.get(name) is job:
        del session.jobs[name]


def _bar(what: str, total: int, show: bool | None, unit: str, at: int = BAR_AT) -> Any:
    """A tqdm.auto bar (made here, in the calling cell), or None when progress is off (or
    auto, `show` None, and fewer than `at` steps)."""
    if show is False or (show is None and total < at):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=what, unit=unit)


def _one_line(error: BaseException | None) -> str:
    text = str(error) if error is not None else ""
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return first
