"""A real local Ray instance, started once for tests/distributed and shut down at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import ray


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """Ray, started the way `--on ray` starts it on this machine (no RAY_ADDRESS)."""
    from embmagic.core.distributed import connect

    previous = os.environ.pop("RAY_ADDRESS", None)
    started = not ray.is_initialized()
    module = connect(None)
    yield module
    if started:
        module.shutdown()
    if previous is not None:
        os.environ["RAY_ADDRESS"] = previous


def wait_for_idle(module: Any, timeout: float = 20.0) -> bool:
    """True once every CPU of the cluster is free again (the job's actors are gone)."""
    import time

    total = module.cluster_resources().get("CPU", 0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if module.available_resources().get("CPU", 0) >= total:
            return True
        time.sleep(0.2)
    return False
