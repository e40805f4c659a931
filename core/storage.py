"""File storage behind a small interface (local folder by default).

``put(data, suffix) -> key``, ``open(key) -> bytes``, ``delete(key)``. Keys are content-addressed
(``ab/cdef….pdf``), so the same file is stored once. Another backend (object storage) implements
the same three methods.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app


class LocalStorage:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not str(path).startswith(str(self.root.resolve())):
            raise ValueError("storage key outside the storage folder")
        return path

    def put(self, data: bytes, suffix: str = "") -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest[2:]}{suffix}"
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)
        return key

    def open(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage() -> LocalStorage:
    """The storage of the current application (``<instance>/uploads``)."""
    store = current_app.extensions.get("gongkai.storage")
    if store is None:
        store = LocalStorage(Path(current_app.instance_path) / "uploads")
        current_app.extensions["gongkai.storage"] = store
    return store


def request_limit_text() -> str:
    """The largest request the application reads (``MAX_CONTENT_LENGTH``), for messages."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit // 1048576} MB" if limit >= 1048576 else f"{max(1, limit // 1024)} KB"
