"""The one guarded HTTP client for every call the platform makes to another system (kernel).

A person can make the platform call an address: an admin types a webhook (school affairs sync)
or a sign-in provider's issuer, and a provider's discovery document names further endpoints
(token, keys, UserInfo). Unguarded, that reaches and scans the services of the platform's own
network (server-side request forgery, OWASP ASVS 5.2.6 / 12.6.1). Every such call goes through
:func:`request` or a session from :func:`session` (Authlib's, for the sign-in providers), which:

* resolves the host name and connects only to an address that is **public** — never loopback,
  link-local, private, shared (carrier-grade NAT), multicast, reserved or unspecified — unless the
  operator's allow-list names it (``GONGKAI_OUTBOUND_ALLOW``: addresses and networks separated by
  commas, e.g. ``127.0.0.1,10.0.0.0/8``; see :mod:`core.config`). The check runs on the address
  the socket connects to, after DNS resolution, so a name that resolves to an inside address (or
  changes its answer between a check and the connection) is refused all the same;
* does so again for every redirect (at most :data:`MAX_REDIRECTS`);
* ignores proxy settings of the environment (a proxy would hide the real destination);
* has a connect and read timeout (:data:`TIMEOUT`) and reads at most ``max_bytes`` of an answer
  (:data:`MAX_BYTES` by default), decompressed.

Failures raise :class:`OutboundError` (a refused address: :class:`AddressRefused`) whose
``str()`` is the detail for the log; what a person is shown is :attr:`OutboundError.public`, a
generic translated sentence that names neither the address nor the network's answer.

Mail goes to the one SMTP relay the operator configures (``GONGKAI_SMTP_URL``): that is operator
configuration, not an address a user can type, so :mod:`core.notifications.mail` does not pass it
through this guard.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Iterable
from typing import Any

import requests
from flask import current_app, has_app_context
from flask_babel import lazy_gettext
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as u3connection

from core.config import parse_outbound_allow

log = logging.getLogger(__name__)

TIMEOUT = (5.0, 10.0)
"""Seconds to connect and to wait for each read."""
MAX_BYTES = 1024 * 1024
"""The largest answer read (after decompression), unless a call says otherwise."""
MAX_REDIRECTS = 3

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges Python's ``is_global`` still counts as global but that route inside networks.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in (
        "192.88.99.0/24",  # 6to4 relay anycast
        "64:ff9b::/96",  # NAT64: an IPv4 address behind it is checked as such
        "64:ff9b:1::/48",  # local-use NAT64
        "2002::/16",  # 6to4
    )
)


class OutboundError(Exception):
    """A call to another system that did not succeed; ``str()`` is for the log only."""

    public = lazy_gettext(
        "The other system could not be reached or did not answer as expected. Nothing was "
        "sent or received; try again later, or ask the platform's operator."
    )


class AddressRefused(OutboundError):
    """The destination is not a public address and the allow-list does not name it."""

    public = lazy_gettext(
        "The address is not allowed: the platform only calls public internet addresses. "
        "Ask the platform's operator if this system is inside your network."
    )


class _Refused(Exception):
    """Raised from the connection; deliberately not an ``OSError`` so that urllib3 and requests
    neither retry it nor wrap it into a connection error."""


def allowed_networks() -> tuple[Network, ...]:
    """The operator's allow-list (the application's configuration, else the environment)."""
    if has_app_context():
        return current_app.config.get("OUTBOUND_ALLOW", ())
    return parse_outbound_allow(os.environ.get("GONGKAI_OUTBOUND_ALLOW", ""))


def _plain(ip: Address) -> Address:
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour):
            if embedded is not None:
                return embedded
    return ip


def is_public(ip: Address) -> bool:
    """True for an address on the public internet (not loopback, link-local, private, shared,
    multicast, reserved, unspecified, documentation ...)."""
    ip = _plain(ip)
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not any(ip in net for net in _NOT_PUBLIC if net.version == ip.version)
    )


def permitted(ip: Address | str, allow: Iterable[Network] | None = None) -> bool:
    """Whether the guard lets a connection to ``ip`` through."""
    ip = ipaddress.ip_address(str(ip).split("%", 1)[0])
    networks = allowed_networks() if allow is None else tuple(allow)
    for candidate in {ip, _plain(ip)}:
        if any(candidate in net for net in networks if net.version == candidate.version):
            return True
    return is_public(ip)


class _GuardedConnectionMixin:
    allow: tuple[Network, ...] = ()

    def _new_conn(self):  # urllib3's HTTPConnection._new_conn, with the address checked
        host, port = self._dns_host, self.port
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        addresses = [info[4][0] for info in found]
        usable = [a for a in dict.fromkeys(addresses) if permitted(a, self.allow)]
        if not usable:
            raise _Refused(f"{host} resolves to {', '.join(dict.fromkeys(addresses))}")
        error: OSError | None = None
        for address in usable:
            try:
                return u3connection.create_connection(
                    (address, port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(self, f"connection to {host} timed out") from exc
            except OSError as exc:
                error = exc
        raise NewConnectionError(self, f"failed to connect to {host}: {error}")


def _pools(allow: tuple[Network, ...]) -> dict[str, type]:
    http_conn = type("GuardedHTTPConnection", (_GuardedConnectionMixin, HTTPConnection),
                     {"allow": allow})  # fmt: skip
    https_conn = type("GuardedHTTPSConnection", (_GuardedConnectionMixin, HTTPSConnection),
                      {"allow": allow})  # fmt: skip
    return {
        "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class GuardedAdapter(HTTPAdapter):
    """A requests transport adapter that connects only to permitted addresses and reads at most
    ``max_bytes`` of an answer."""

    def __init__(self, *, allow: Iterable[Network] = (), max_bytes: int = MAX_BYTES, **kwargs):
        self.allow = tuple(allow)
        self.max_bytes = max_bytes
        super().__init__(max_retries=0, **kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pools(self.allow)

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # never through a proxy
        raise _Refused(f"a proxy was configured ({proxy})")

    def send(self, request, stream=False, timeout=None, **kwargs):
        try:
            response = super().send(request, stream=True, timeout=timeout or TIMEOUT, **kwargs)
        except _Refused as exc:
            raise AddressRefused(f"{request.method} {request.url}: {exc}") from None
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise OutboundError(f"{request.url}: answer of {declared} bytes is too large")
        try:
            body = response.raw.read(self.max_bytes + 1, decode_content=True)
        except Exception as exc:  # urllib3 read errors of several kinds
            response.close()
            raise OutboundError(f"{request.url}: reading the answer failed: {exc}") from None
        if len(body) > self.max_bytes:
            response.close()
            raise OutboundError(f"{request.url}: answer larger than {self.max_bytes} bytes")
        response._content = body
        response._content_consumed = True
        response.close()
        return response


def guard(
    session: requests.Session, *, max_bytes: int = MAX_BYTES, extra: Iterable[Network] = ()
) -> requests.Session:
    """Put the guard on ``session`` (for libraries that make their own, e.g. Authlib)."""
    adapter = GuardedAdapter(allow=(*allowed_networks(), *extra), max_bytes=max_bytes)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False  # no proxies or .netrc from the environment
    session.max_redirects = MAX_REDIRECTS
    return session


def session(*, max_bytes: int = MAX_BYTES, extra: Iterable[Network] = ()) -> requests.Session:
    """A new guarded session (close it after use)."""
    return guard(requests.Session(), max_bytes=max_bytes, extra=extra)


def host_networks(url: str) -> tuple[Network, ...]:
    """The addresses the host of ``url`` resolves to, as networks of one address each."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname or ""
        found = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (ValueError, UnicodeError, OSError):
        return ()
    return tuple(ipaddress.ip_network(a.split("%", 1)[0]) for a in sorted(found))


def request(
    method: str, url: str, *, max_bytes: int = MAX_BYTES, operator_url: bool = False, **kwargs
):
    """Make one guarded call; :class:`OutboundError` unless an answer (of any status) came.

    ``operator_url``: the address was given by the platform's operator on a command line (not
    typed by a user of the web application), so its own host may be inside the network; where
    it redirects to is guarded as usual."""
    if not url.lower().startswith(("http://", "https://")):
        raise OutboundError(f"not an http(s) address: {url!r}")
    kwargs.setdefault("timeout", TIMEOUT)
    extra = host_networks(url) if operator_url else ()
    with session(max_bytes=max_bytes, extra=extra) as s:
        try:
            return s.request(method, url, **kwargs)
        except OutboundError as exc:
            log.warning("outbound call refused or failed: %s", exc)
            raise
        except requests.RequestException as exc:
            log.warning("outbound call to %s failed: %s", url, exc)
            raise OutboundError(f"{method} {url}: {type(exc).__name__}: {exc}") from None


def get(url: str, **kwargs: Any):
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any):
    return request("POST", url, **kwargs)


def url_allowed(url: str) -> bool:
    """False when the host of ``url`` is, or resolves only to, addresses the guard refuses (for
    checking an address when a person saves it; the guard checks again at every call). A name
    that does not resolve now is not refused here."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError):
        return True
    return any(permitted(address) for address in found)
