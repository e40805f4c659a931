"""A local debugging SMTP server (aiosmtpd): every message it receives is written to a folder
(``instance/mail/`` by default) as an ``.eml`` file, and one line is logged.

``gongkai mail-debug`` runs it; the tests start one on a free loopback port. Without
``GONGKAI_SMTP_URL`` (development) the application writes its mail to the same folder itself
(:func:`store`), so a newcomer reads the demo's mail there either way.
"""

from __future__ import annotations

import itertools
import logging
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

log = logging.getLogger(__name__)

_sequence = itertools.count()


def store(directory: Path, data: bytes, *, mail_from: str | None, rcpt_tos) -> Path:
    """Write one message to ``directory`` (created if needed); file names sort by arrival."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{next(_sequence):06d}.eml"
    path = directory / name
    tmp = directory / f".{name}.tmp"
    tmp.write_bytes(data)
    tmp.rename(path)  # readers never see half a message
    msg = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
    log.info("mail from %s to %s: %s -> %s", mail_from, ", ".join(rcpt_tos or ()),
             msg.get("Subject", ""), path)  # fmt: skip
    return path


def messages(directory: Path) -> list[EmailMessage]:
    """The messages stored in ``directory``, oldest first (parsed)."""
    if not directory.is_dir():
        return []
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(directory.glob("*.eml"))]


class _Handler:
    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        store(
            self.directory,
            envelope.original_content or envelope.content,
            mail_from=envelope.mail_from,
            rcpt_tos=envelope.rcpt_tos,
        )
        return "250 Message accepted for delivery"


class DebugSMTPServer:
    """``DebugSMTPServer(folder, port=8025).start()`` ... ``.stop()`` (a thread of its own)."""

    def __init__(self, directory: Path | str, host: str = "127.0.0.1", port: int = 8025):
        self.directory = Path(directory)
        self.host = host
        self.port = port
        self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> DebugSMTPServer:
        from aiosmtpd.controller import Controller

        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(
            _Handler(self.directory),
            hostname=self.host,
            port=self.port,
            enable_SMTPUTF8=True,
            ready_timeout=10,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        return messages(self.directory)

    def __enter__(self) -> DebugSMTPServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
