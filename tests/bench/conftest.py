"""Benchmarks: ``bench_*.py`` files, collected only when ``tests/bench`` is named on the command
line (``make bench``); the default run ignores this folder (``tests/conftest.py``)."""

from __future__ import annotations

import pytest


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        if parent.session.isinitpath(file_path):  # named on the command line: pytest collects it
            return None
        return pytest.Module.from_parent(parent, path=file_path)
    return None
