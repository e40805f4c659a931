"""Health check of a Gongkai web process, for container runtimes (standard library only).

    python deploy/healthcheck.py [/healthz | /readyz]

Exits 0 when the web process on ``GUNICORN_BIND`` (default ``127.0.0.1:8000``) answers the path
with 200, else 1 with the reason on standard error. ``/healthz`` (the default; the image's
HEALTHCHECK) says the process answers; ``/readyz`` says it can also reach PostgreSQL and Redis
(the Compose file's check, which nginx waits for).
"""

from __future__ import annotations

import os
import sys
import urllib.request


def address() -> str:
    bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")[0].strip()
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):  # noqa: S104 (listening everywhere: ask loopback)
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    if not path.startswith("/"):
        print(f"usage: {argv[0]} [/healthz|/readyz]", file=sys.stderr)
        return 2
    url = address() + path
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:  # noqa: S310 (http to loopback)
            status = answer.status
    except Exception as exc:  # refused, timed out, or an HTTP error (a 503 from /readyz)
        print(f"{url}: {exc}", file=sys.stderr)
        return 1
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
