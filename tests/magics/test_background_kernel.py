"""In a real ipykernel: while a `%embed --background` job encodes, the kernel runs other cells
and answers a widget's command (a comm message from the front end), at once."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

SETUP = r"""
%load_ext embmagic
%config EmbMagics.model = "fake-64"
%config EmbMagics.show_progress = False
import threading, time
from embmagic.widgets import Explorer
engine = get_ipython().magics_manager.registry["EmbMagics"].session.engine("fake-64")
real_embed = engine.embed
def slow_embed(texts, **kwargs):  # 0.2 s per chunk of the job, like a real model on a few CPUs
    if threading.current_thread().name.startswith("embmagic job"):
        time.sleep(0.2)
    return real_embed(texts, **kwargs)
engine.embed = slow_embed
small = [f"small note {i}" for i in range(20)]
big = [f"big note {i}" for i in range(256 * 100)]
%embed small --from small
ex = Explorer("small")
job = %embed big --from big --background
import embmagic
print(embmagic.__file__)
print(ex.comm.comm_id)
"""


@pytest.fixture
def kernel() -> Iterator[Any]:
    from jupyter_client.manager import start_new_kernel

    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": path}  # this checkout's embmagic in the kernel too
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client: Any, code: str) -> str:
    """Execute `code`; its stdout (the test fails on an error)."""
    out: list[str] = []

    def keep(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = client.execute_interactive(code, timeout=60, output_hook=keep)
    assert reply["content"]["status"] == "ok", "".join(out)
    return "".join(out)


def test_cells_and_widget_commands_run_while_a_job_encodes(kernel: Any) -> None:
    *_, module, comm_id = run(kernel, SETUP).strip().splitlines()
    assert module == str(ROOT / "embmagic" / "__init__.py")

    start = time.perf_counter()
    status = run(kernel, "print(job.status, job.done < job.total)")
    assert status.strip() == "running True" and time.perf_counter() - start < 2.0

    request = {"kind": "embmagic-request", "id": "r1", "name": "search",
               "msg": {"text": "small note 3", "k": 2}}  # fmt: skip
    start = time.perf_counter()
    msg = kernel.session.msg("comm_msg", {"comm_id": comm_id,
                                          "data": {"method": "custom", "content": request}})
    kernel.shell_channel.send(msg)
    reply = None
    while reply is None:
        got = kernel.get_iopub_msg(timeout=10)
        data = got["content"].get("data", {}) if got["msg_type"] == "comm_msg" else {}
        content = data.get("content", {}) if data.get("method") == "custom" else {}
        if content.get("kind") == "embmagic-reply":
            reply = content
    answered = time.perf_counter() - start
    assert reply["ok"] is True and reply["reply"]["hits"][0]["text"] == "small note 3"
    assert answered < 2.0  # the job needs ~20 s more: the command did not wait for it

    after = run(kernel, "print(job.status); job.cancel(); print(job.status, len(small))")
    assert after.split() == ["running", "cancelled", "20"]
    assert run(kernel, "print('big' in get_ipython().magics_manager.registry['EmbMagics']"
                       ".session.collections)").strip() == "False"
