"""The fixture plugin of the test suite, installed for the test run only.

``tests/fixtures/gongkai-testplugin`` is a real plugin distribution (a ``pyproject.toml`` with
its ``gongkai.plugins`` entry point), but it is never installed into the virtualenv that
``make demo`` and production run from: its sector, panel, page and demo data would show there.
Instead, :func:`install` (called by ``tests/conftest.py`` in every test process) writes the
distribution's metadata, made from that ``pyproject.toml``, into a folder of the run and puts it
and the package's folder on ``sys.path`` and ``PYTHONPATH``: ``importlib.metadata`` finds the
entry point there as it would find an installed one, for the test processes and the commands
they start, and for nobody else.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "fixtures" / "gongkai-testplugin"
"""The fixture plugin's source folder (the package ``gongkai_testplugin`` is inside)."""


def metadata_files(root: Path = ROOT) -> tuple[str, dict[str, str]]:
    """The ``.dist-info`` folder name and its files (``METADATA``, ``entry_points.txt``) for the
    distribution described by ``root/pyproject.toml``."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = project["name"], project["version"]
    metadata = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Summary: {project.get('description', '')}\n"
    )
    groups = project.get("entry-points", {})
    entry_points = "".join(
        f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in points.items()) + "\n"
        for group, points in groups.items()
    )
    folder = f"{name.replace('-', '_')}-{version}.dist-info"
    return folder, {"METADATA": metadata, "entry_points.txt": entry_points}


def install(root: Path = ROOT) -> Path:
    """Make the fixture plugin discoverable in this process and the processes it starts; return
    the folder that holds its metadata (removed when the process ends)."""
    site = Path(tempfile.mkdtemp(prefix="gongkai-testplugin-"))
    atexit.register(shutil.rmtree, site, ignore_errors=True)
    folder, files = metadata_files(root)
    (site / folder).mkdir()
    for name, text in files.items():
        (site / folder / name).write_text(text, encoding="utf-8")
    paths = [str(site), str(root)]
    sys.path[:0] = [p for p in paths if p not in sys.path]
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([*paths, *inherited])
    return site


def without(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` without the fixture plugin's paths: a command run as ``make demo`` runs it."""
    env = dict(environ)
    kept = [
        p
        for p in env.get("PYTHONPATH", "").split(os.pathsep)
        if p and p != str(ROOT) and not Path(p).name.startswith("gongkai-testplugin-")
    ]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    return env
