"""A real marimo app (`marimo run`, headless, 127.0.0.1) for the browser tests.

`MarimoApp(root, source).start()` writes the app, serves it on a free port with no token, and
waits until it answers. marimo needs no Jupyter: it renders anywidgets itself, through
anywidget's front-end module contract (`model.get/set/on/send`, `msg:custom`), which is all the
widgets use.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from labkit import QUIET_ENV, HarnessError, free_port, stop_group


class MarimoApp:
    """`python -m marimo run app.py` on 127.0.0.1:<free port>."""

    def __init__(self, root: Path, source: str, *, env: dict[str, str] | None = None,
                 start_timeout: float = 90.0) -> None:  # fmt: skip
        self.root, self.source, self.extra_env = root, source, env or {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        self.log_path = root / "marimo.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> MarimoApp:
        app = self.root / "app.py"
        app.write_text(self.source)
        home = self.root / ".home"
        home.mkdir(exist_ok=True)
        env = {**os.environ, **QUIET_ENV, **self.extra_env, "HOME": str(home),
               "XDG_CONFIG_HOME": str(home / "config"), "PYTHONUNBUFFERED": "1"}  # fmt: skip
        cmd = [sys.executable, "-m", "marimo", "run", str(app), "--headless",
               "--host", "127.0.0.1", "--port", str(self.port), "--no-token", "--no-sandbox",
               "--no-skew-protection"]  # fmt: skip
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)  # fmt: skip
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"marimo exited ({self.proc.returncode}): {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise HarnessError(f"marimo did not answer in {self.start_timeout:.0f} s")

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None

    def __enter__(self) -> MarimoApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
