"""deploy/nginx/gongkai.conf made runnable on loopback: the same file with the addresses of this
machine (upstream, ports, certificate, maintenance page) put in for those of the Compose host."""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from tests.deploy_files import DEPLOY


def self_signed(folder: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def nginx_config(
    folder: Path, *, upstream: str | list[str], http_port: int, https_port: int
) -> Path:
    """A main nginx.conf under ``folder`` whose http block includes the deploy configuration.

    ``upstream``: the web process's address, or a list of them — several web servers, as the
    replicas behind Docker's name ``web``: an ``upstream`` group named ``gongkai_web`` (nginx
    takes a ``proxy_pass`` variable that names a group for that group, so the deploy file's
    ``proxy_next_upstream`` moves to the next server as it does between replicas)."""
    self_signed(folder / "certs")
    site = (DEPLOY / "nginx" / "gongkai.conf").read_text(encoding="utf-8")
    group = ""
    if isinstance(upstream, list):
        servers = "".join(f"    server {address};\n" for address in upstream)
        group = f"upstream gongkai_web {{\n{servers}}}\n"
        upstream = "gongkai_web"
    replacements = {
        "web:8000": upstream,
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "listen 443 ssl http2 default_server;": (
            f"listen 127.0.0.1:{https_port} ssl http2 default_server;"
        ),
        "/etc/nginx/certs/": f"{folder / 'certs'}/",
        "/usr/share/nginx/gongkai": str(DEPLOY / "nginx"),
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/gongkai.conf no longer has {old!r}"
        site = site.replace(old, new)
    # no IPv6 listeners on a test machine that may not have it
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (folder / "gongkai.conf").write_text(site, encoding="utf-8")
    conf = folder / "nginx.conf"
    # Started by root, nginx runs its workers as nobody, who cannot read the maintenance page of
    # a checkout in a private folder (a clean clone in `mktemp -d`, mode 0700): they run as
    # root here (the test's own processes), as they would as the user who started it otherwise.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"""daemon off;
{user}pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log {folder / "access.log"};
    client_body_temp_path {folder / "tmp"};
    proxy_temp_path {folder / "tmp"};
    default_type application/octet-stream;
    types {{ text/html html; text/css css; }}
{group}    include {folder / "gongkai.conf"};
}}
""",
        encoding="utf-8",
    )
    (folder / "tmp").mkdir(exist_ok=True)
    return conf
