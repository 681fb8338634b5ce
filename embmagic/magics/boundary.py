"""The one place where a magic's failure becomes one `UsageError` line (`EmbMagics._run`).

A failure caused by what the user typed or by the environment (a full disk, a file that is not
UTF-8, a number too large for FAISS) is one line, never a traceback. Any other exception is a
bug in embmagic and keeps its traceback, so tests and users see it; KeyboardInterrupt is not an
`Exception` and always passes through.
"""

from __future__ import annotations

import argparse

from traitlets import TraitError

from embmagic.errors import EmbmagicError, InvalidArgumentError

USER_ERRORS: tuple[type[Exception], ...] = (
    EmbmagicError,  # raised on purpose, with a message written for the user
    TraitError,  # an option value refused (`%config`, or a flag that sets one)
    OSError,  # files and folders: missing, not allowed, a full disk (FAISS writes included)
    UnicodeError,  # text that is not valid Unicode, a file that is not UTF-8
    RecursionError,  # input nested too deeply (JSON in a notebook or a save)
    OverflowError,  # a number too large for C (FAISS's int parameters, numpy)
    MemoryError,  # asked for more memory than this machine has
)
"""Exception types that always come from the input or the environment, never from a bug."""


def user_message(exc: Exception) -> str | None:
    """The one-line message for a failure the user's input or environment caused; None for an
    exception that is a bug (shown with its traceback)."""
    if isinstance(exc, USER_ERRORS):
        return _describe(exc)
    if isinstance(exc, RuntimeError) and "faiss" in str(exc).lower():
        return f"FAISS failed: {_last_line(str(exc))}"  # C++ errors: bad file, out of memory
    if isinstance(exc, ValueError) and "null byte" in str(exc):
        return "a path cannot contain a NUL character (\\x00)"
    return None


def _describe(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, RecursionError):
        return "input nested too deeply to read"
    if isinstance(exc, MemoryError):
        return f"out of memory{': ' + text if text else ''}"
    if isinstance(exc, OverflowError):
        return f"a number is too large ({text})"
    if isinstance(exc, UnicodeError) and not isinstance(exc, EmbmagicError):
        return f"text is not valid Unicode ({text})"
    return text or type(exc).__name__


def _last_line(text: str) -> str:
    """FAISS's message without its C++ location: the part after the last "Error: "."""
    lines = text.strip().splitlines()
    return lines[-1].rsplit("Error: ", 1)[-1] if lines else "unknown error"


def refuse_nul(args: argparse.Namespace) -> None:
    """A NUL character in any argument (after `{var}` expansion) is refused before anything is
    opened: no path can hold one, and os functions would raise a bare ValueError."""
    for value in vars(args).values():
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            msg = "arguments cannot contain a NUL character (\\x00)"
            raise InvalidArgumentError(msg)
