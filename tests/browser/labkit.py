"""A real JupyterLab in a real (headless) Chromium, driven by Playwright: the browser tests'
harness, also used by bench/bench_widgets.py.

- `find_chromium()`: the installed Chromium binary (Playwright cannot download browsers here).
- `launch_browser(playwright)`: Chromium with the flags the widgets need (WebGL by SwiftShader).
- `JupyterLab`: a `jupyter lab` subprocess on 127.0.0.1, a free port, a random token, a
  temporary root, news/update checks off, the app object exposed to the page.
- `Notebook`: one notebook in one page: run code in new cells, read their outputs as text from
  the DOM, find widgets by `data-testid`, take screenshots.

Nothing here skips: a missing browser or front-end bundle raises `HarnessError` with one line
that says what to install or build.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
STATIC = ROOT / "embmagic" / "static"
BUNDLES = ("map.js", "explorer.js", "rag.js")

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebGL (regl-scatterplot) then runs on SwiftShader through ANGLE. chromium-headless-shell
    # falls back to it by itself; the full chromium build needs these two to allow it.
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
)
CHROMIUM_CANDIDATES = (
    "chromium-headless-shell",
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/lib/chromium-headless-shell/chromium-headless-shell",
    "chromium",
    "/usr/lib/chromium/chromium",
    "chromium-browser",
)
INSTALL_CHROMIUM = (
    "no Chromium found: install it with `apt-get install -y chromium-headless-shell` "
    "(or set EMBMAGIC_CHROMIUM=/path/to/chromium)"
)
LAB_SETTINGS = {
    # no "get official Jupyter news?" toast, no update check, no network
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False,
    },
    # every cell stays in the DOM, so outputs and widgets can always be found
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}  # fmt: skip
QUIET_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


class HarnessError(RuntimeError):
    """Something the browser tests need is missing or broke; the message says what to do."""


def find_chromium() -> str:
    """The Chromium binary: $EMBMAGIC_CHROMIUM, else the first candidate on PATH or on disk."""
    given = os.environ.get("EMBMAGIC_CHROMIUM")
    if given:
        if not os.access(given, os.X_OK):
            raise HarnessError(f"EMBMAGIC_CHROMIUM={given} is not an executable file")
        return given
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name) if "/" not in name else (name if os.access(name, os.X_OK)
                                                            else None)  # fmt: skip
        if found:
            return found
    raise HarnessError(INSTALL_CHROMIUM)


def check_bundles() -> None:
    """Fail with one line when the widgets' front ends are not built."""
    missing = [name for name in BUNDLES if not (STATIC / name).is_file()]
    if missing:
        raise HarnessError(
            f"widget front ends not built ({', '.join(missing)} missing in embmagic/static): "
            "run `cd js && npm ci && npm run build`"
        )


def launch_browser(playwright: Any, extra_args: tuple[str, ...] = ()) -> Any:
    """Headless Chromium with the flags above (Playwright's own browsers are not used)."""
    return playwright.chromium.launch(
        executable_path=find_chromium(), args=[*CHROMIUM_FLAGS, *extra_args], headless=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


HOSTS = ("lab", "notebook7")
"""The Jupyter front ends the browser tests run in: JupyterLab 4 and Jupyter Notebook 7."""


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM a server's whole process group, wait up to 15 s, then SIGKILL what is left."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


class JupyterLab:
    """`python -m jupyterlab` (host "lab") or `python -m notebook` (host "notebook7", Jupyter
    Notebook 7) on 127.0.0.1:<free port>, token auth, root `root`.

    Config, runtime, settings, workspaces and IPython dirs all live under `root/.home`, so the
    user's own Jupyter set-up plays no part and nothing is left behind.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str = "lab",
        start_timeout: float = 90.0,
        extra_args: tuple[str, ...] = (),
        server_extensions: dict[str, bool] | None = None,
    ) -> None:
        if host not in HOSTS:
            raise HarnessError(f"unknown host {host!r}: one of {', '.join(HOSTS)}")
        self.host = host
        self.root = root
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.base = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        self.extra_args = extra_args
        # jupyter_lsp off: no language-server probing; others as asked (True/False by name)
        self.server_extensions = {"jupyter_lsp": False, **(server_extensions or {})}
        home = root / ".home"
        names = ("config", "runtime", "settings", "workspaces", "ipython", "data")
        self.dirs = {name: home / name for name in names}
        self.log_path = home / "jupyterlab.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> JupyterLab:
        for path in self.dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        for rel, value in LAB_SETTINGS.items():
            target = self.dirs["settings"] / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value))
        labconfig = self.dirs["config"] / "labconfig"
        labconfig.mkdir(exist_ok=True)
        (labconfig / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
        ))  # fmt: skip
        env = {
            **os.environ,
            **QUIET_ENV,
            "JUPYTER_CONFIG_DIR": str(self.dirs["config"]),
            "JUPYTER_RUNTIME_DIR": str(self.dirs["runtime"]),
            "JUPYTERLAB_SETTINGS_DIR": str(self.dirs["settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.dirs["workspaces"]),
            "JUPYTER_DATA_DIR": str(self.dirs["data"]),
            "IPYTHONDIR": str(self.dirs["ipython"]),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        app = "LabApp" if self.host == "lab" else "JupyterNotebookApp"
        cmd = [
            sys.executable, "-m", "jupyterlab" if self.host == "lab" else "notebook",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.open_browser=False",
            "--ServerApp.allow_root=True",  # CI containers run as root
            f"--ServerApp.jpserver_extensions={self.server_extensions!r}",
            f"--{app}.expose_app_in_browser=True",
            f"--{app}.workspaces_dir={self.dirs['workspaces']}",
            *(["--LabApp.extension_manager=readonly", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
              if self.host == "lab" else []),
            "--KernelSpecManager.ensure_native_kernel=True",
            *self.extra_args,
        ]  # fmt: skip
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                raise HarnessError(f"jupyter {self.host} exited ({code}): {self.log_tail()}")
            try:
                if self.api("GET", "/api/status", timeout=2) is not None:
                    return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise HarnessError(
            f"jupyter {self.host} did not answer /api/status in {self.start_timeout:.0f} s"
        )

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """Call the server's REST API; the decoded JSON reply (None for an empty one)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            raw = reply.read()
        return json.loads(raw) if raw else {}

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def shutdown_kernels(self, notebook_path: str | None = None) -> None:
        """Delete the sessions (and so the kernels) of one notebook, or of all of them."""
        try:
            sessions = self.api("GET", "/api/sessions")
            for s in sessions:
                if notebook_path is None or s.get("path") == notebook_path:
                    self.api("DELETE", f"/api/sessions/{s['id']}")
        except (urllib.error.URLError, OSError):
            pass

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.shutdown_kernels()
        stop_group(self.proc)  # SIGTERM: the server shuts its kernels down, then exits
        self.proc = None

    def __enter__(self) -> JupyterLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python",
    }  # fmt: skip
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))


_RUN_JS = """async ({code, key}) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const nb = panel.content;
  nb.activeCellIndex = nb.widgets.length - 1;
  nb.mode = 'command';
  await app.commands.execute('notebook:insert-cell-below');
  nb.activeCell.model.sharedModel.setSource(code);
  nb.mode = 'command';
  const index = nb.activeCellIndex;
  window.__runs = window.__runs || {};
  window.__runs[key] = null;
  app.commands.execute('notebook:run-cell').then(
    ok => { window.__runs[key] = {ok: ok !== false}; },
    err => { window.__runs[key] = {ok: false, why: String(err)}; });
  return index;
}"""

_CELL_JS = """(i) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
  const outputs = cell.model.outputs.toJSON();
  const errors = outputs.filter(o => o.output_type === 'error')
    .map(o => o.ename + ': ' + o.evalue);
  const parts = cell.node.querySelectorAll(
    '.jp-OutputArea > .jp-OutputArea-child > .jp-OutputArea-output');
  const text = Array.from(parts).map(e => e.innerText).join('\\n');
  return {text, errors, count: cell.model.executionCount};
}"""

_KERNEL_IDLE_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const ctx = w && w.sessionContext;
  const k = ctx && ctx.session && ctx.session.kernel;
  return !!(k && ctx.isReady && k.status === 'idle' && k.connectionStatus === 'connected');
}"""


class Notebook:
    """One notebook open in one page. `run(code)` appends a code cell, runs it and returns its
    output as the page shows it (innerText); an error output raises AssertionError."""

    def __init__(self, lab: JupyterLab, page: Any, name: str) -> None:
        self.lab, self.page, self.name = lab, page, name
        self.path = f"{name}.ipynb"
        self.last_index = -1

    @classmethod
    def open(
        cls,
        lab: JupyterLab,
        context: Any,
        name: str,
        *,
        timeout_ms: float = 90_000,
        before_load: Callable[[Any], None] | None = None,
    ) -> Notebook:
        """Write an (almost) empty notebook, open it in a new page, wait for its kernel.

        `before_load(page)` runs before navigation (e.g. to listen to websockets)."""
        write_notebook(lab.root / f"{name}.ipynb", ["# " + name])
        page = context.new_page()
        if before_load is not None:
            before_load(page)
        nb = cls(lab, page, name)
        where = f"/lab/tree/{nb.path}?reset" if lab.host == "lab" else f"/notebooks/{nb.path}"
        page.goto(lab.url(where), timeout=timeout_ms)
        nb.wait_kernel_idle(timeout_ms)
        return nb

    def wait_kernel_idle(self, timeout_ms: float = 90_000) -> None:
        self.page.wait_for_function(_KERNEL_IDLE_JS, timeout=timeout_ms, polling=100)

    def run(self, code: str, *, timeout_ms: float = 120_000, allow_error: bool = False) -> str:
        """Run `code` in a new cell at the end; its output text (DOM innerText)."""
        index = self.start(code)
        return self.wait(index, timeout_ms=timeout_ms, allow_error=allow_error)

    def start(self, code: str) -> int:
        """Append a cell with `code` and start running it; its index (see `wait`)."""
        key = f"{self.name}-{uuid.uuid4().hex[:8]}"
        index = int(self.page.evaluate(_RUN_JS, {"code": code, "key": key}))
        self._keys = getattr(self, "_keys", {})
        self._keys[index] = key
        self.last_index = index
        return index

    def wait(self, index: int, *, timeout_ms: float = 120_000, allow_error: bool = False) -> str:
        key = self._keys[index]
        self.page.wait_for_function(
            "(key) => window.__runs && window.__runs[key]", arg=key, timeout=timeout_ms, polling=50
        )
        out = self.page.evaluate(_CELL_JS, index)
        if out["errors"] and not allow_error:
            raise AssertionError(f"cell {index} raised: {'; '.join(out['errors'])}\n{out['text']}")
        return str(out["text"]).strip()

    def output(self, index: int | None = None) -> Any:
        """The output area (a Playwright locator) of cell `index` (default: the last run)."""
        i = self.last_index if index is None else index
        return self.page.locator(".jp-Notebook .jp-Cell").nth(i).locator(".jp-OutputArea")

    def widget(self, testid: str, index: int | None = None) -> Any:
        """The element `[data-testid=testid]` inside the output of cell `index`."""
        return self.output(index).locator(f"[data-testid={testid}]").first

    def screenshot(self, locator: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        locator.scroll_into_view_if_needed()
        locator.screenshot(path=str(path))
        return path

    def close(self) -> None:
        try:
            self.page.close()
        finally:
            self.lab.shutdown_kernels(self.path)
