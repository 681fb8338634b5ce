"""The application layer: each user action once, for every front end (magics, widgets, Python).

`Workspace` (workspace.py) is the Python API; `ingest`, `search`, `ask`, `manage` and `map_data`
hold the actions it and the magics and widgets call; `jobs` runs them in the background. The
app layer imports core, engine and store, never magics or widgets.
"""

from __future__ import annotations

from embmagic.app.jobs import Job
from embmagic.app.options import Options
from embmagic.app.session import Session
from embmagic.app.workspace import Workspace, default_workspace, use_workspace

__all__ = ["Job", "Options", "Session", "Workspace", "default_workspace", "use_workspace"]
