"""Checking a unit's register from the outside: ``gongkai register verify --remote URL --org CODE``.

HTTP only — no database, no account: it reads what anyone may read (:mod:`core.register.public`):
the unit's public register (``/o/<code>/register.json``, every page), its signed checkpoints
(``/o/<code>/register/checkpoints.json``) and the deployment's keys
(``/.well-known/gongkai-register-keys.json``), and reports every finding:

* **edited** — a format 2 entry whose shown fields (``disclosed``, ``sealed``, ``prev_hash``...)
  do not give its hash: its content (public or sealed) was changed after it was recorded;
* **chain** — an entry whose ``prev_hash`` is not the hash of the entry before it;
* **missing** — a gap in the numbers; **truncated** — fewer entries than the unit's head or a
  signed checkpoint says there were; **head** — the head does not match the last entry;
* **checkpoint** — a checkpoint whose entry now has another hash (the chain was rewritten),
  that is not signed by a published key (or signed after its key was retired), that belongs to
  another unit, or that a later checkpoint does not extend;
* **since** (with ``--state FILE``) — compared with what the previous run saw and kept in the
  file: an entry, a checkpoint or a key that changed or disappeared. This catches even a rewrite
  of everything re-signed with the deployment's own key. The file is written again only when
  nothing was found, so it stays the last good baseline.

Outbound requests go through ``core.outbound`` (the guarded client: timeouts, a size limit;
the deployment's address is the operator's, typed on the command line, so it may be inside the
network; where it redirects to is guarded).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from core import outbound
from core.register.models import GENESIS_HASH, envelope_hash
from core.register.signing import valid_signature

TIMEOUT = 20
MAX_BYTES = 64 * 1024 * 1024
MAX_PAGES = 10_000


class RemoteError(Exception):
    """The remote register could not be read (the message says which address and why)."""


@dataclass(frozen=True)
class Finding:
    kind: str
    seq: int | None
    detail: str

    def __str__(self) -> str:
        where = f"seq {self.seq}: " if self.seq is not None else ""
        return f"{where}{self.kind}: {self.detail}"


@dataclass
class Report:
    org_code: str
    findings: list[Finding] = field(default_factory=list)
    entries: int = 0
    public: int = 0
    opaque: int = 0  # format 1 entries: not recomputable from outside
    checkpoints: int = 0
    latest: dict[str, Any] | None = None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings


def fetch_json(url: str) -> Any:
    """GET ``url`` and parse its JSON (the guarded client: timeouts, size limit)."""
    try:
        response = outbound.get(
            url, timeout=TIMEOUT, max_bytes=MAX_BYTES, operator_url=True,
            headers={"Accept": "application/json"},
        )  # fmt: skip
        status, body = response.status_code, response.content
    except RemoteError:
        raise
    except Exception as exc:  # connection refused, DNS, timeout, refused by the guard
        raise RemoteError(f"{url}: {type(exc).__name__}: {exc}") from exc
    if status != 200:
        raise RemoteError(f"{url}: HTTP {status}")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise RemoteError(f"{url}: not JSON") from exc


def _pages(first: str, key: str, base: str, fetch: Callable[[str], Any]) -> tuple[list, dict]:
    """Every element under ``key`` of a paged answer, and its first page."""
    url, found, first_doc = first, [], None
    for _n in range(MAX_PAGES):
        doc = fetch(url)
        if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
            raise RemoteError(f"{url}: not a page of {key}")
        first_doc = first_doc or doc
        found.extend(doc[key])
        url = doc.get("next")
        if not url:
            return found, first_doc
        if not str(url).startswith(base + "/"):
            raise RemoteError(f"{first}: a next page outside {base}: {url}")
    raise RemoteError(f"{first}: more than {MAX_PAGES} pages")


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def check_entries(entries: list[dict], report: Report) -> dict[int, dict]:
    """The chain as published: numbers, hashes, links. Returns the entries by seq."""
    by_seq: dict[int, dict] = {}
    prev: dict | None = None
    for entry in entries:
        seq = entry.get("seq")
        if not isinstance(seq, int):
            report.findings.append(Finding("edited", None, f"an entry without a number: {entry}"))
            continue
        expected = prev["seq"] + 1 if prev is not None else 1
        if seq < expected:
            report.findings.append(Finding("order", seq, "out of order or repeated"))
            continue
        if seq > expected:
            gap = f"seq {expected}" if seq == expected + 1 else f"seq {expected} to {seq - 1}"
            report.findings.append(
                Finding("missing", expected, f"{gap} not in the public register (removed)")
            )
        by_seq[seq] = entry
        report.entries += 1
        if entry.get("disclosed") is not None:
            report.public += 1
        if entry.get("format") == 2:
            if envelope_hash({**entry, "org_id": report.state.get("org_id")}) != entry.get("hash"):
                report.findings.append(
                    Finding(
                        "edited",
                        seq,
                        "its published fields do not give its hash: the entry (public part or "
                        "sealed content) was changed after it was recorded",
                    )
                )
        else:
            report.opaque += 1
        if seq == expected:
            want = prev["hash"] if prev is not None else GENESIS_HASH
            if entry.get("prev_hash") != want:
                report.findings.append(
                    Finding(
                        "chain",
                        seq,
                        "its prev_hash is not the hash of the entry before it: an entry was "
                        "replaced, inserted or reordered",
                    )
                )
        prev = entry
    return by_seq


def check_head(head: dict | None, by_seq: dict[int, dict], report: Report) -> None:
    last = max(by_seq) if by_seq else 0
    if head is None:
        if last:
            report.findings.append(Finding("head", last, "the unit shows entries but no head"))
        return
    count = head.get("entry_count")
    if not isinstance(count, int):
        report.findings.append(Finding("head", None, "the unit's head has no entry count"))
        return
    if count > last:
        report.findings.append(
            Finding(
                "truncated",
                last + 1,
                f"the unit's head says {count} entries; the register shows {last}: "
                "the last entries were removed",
            )
        )
    elif count < last:
        report.findings.append(
            Finding("head", last, f"the register goes on after the unit's head ({count})")
        )
    elif by_seq[last].get("hash") != head.get("hash"):
        report.findings.append(
            Finding("head", last, "the last entry is not the one the unit's head names")
        )


def check_checkpoints(
    checkpoints: list[dict], keys: dict[str, dict], by_seq: dict[int, dict], report: Report
) -> None:
    last = max(by_seq) if by_seq else 0
    previous: dict | None = None
    for cp in checkpoints:
        payload = cp.get("payload") or {}
        seq, signed = payload.get("seq"), payload.get("signed_at")
        label = f"checkpoint {cp.get('id')} (signed {signed})"
        key = keys.get(str(payload.get("key_id")))
        if key is None:
            report.findings.append(
                Finding("checkpoint", seq, f"{label}: its key {payload.get('key_id')} is unknown")
            )
        elif not valid_signature(key.get("x", ""), payload, str(cp.get("signature", ""))):
            report.findings.append(Finding("checkpoint", seq, f"{label}: invalid signature"))
        elif key.get("retired_at") and (_time(signed) or datetime.max) > (
            _time(key["retired_at"]) or datetime.min
        ):
            report.findings.append(
                Finding("checkpoint", seq, f"{label}: signed after its key was retired")
            )
        if payload.get("org_id") != report.state.get("org_id"):
            report.findings.append(Finding("checkpoint", seq, f"{label}: of another unit"))
            continue
        if not isinstance(seq, int) or seq < 1:
            report.findings.append(Finding("checkpoint", None, f"{label}: no entry number"))
            continue
        if seq > last:
            report.findings.append(
                Finding(
                    "truncated",
                    seq,
                    f"{label} covers {seq} entries; the register shows {last}: entries removed",
                )
            )
        elif seq in by_seq and by_seq[seq].get("hash") != payload.get("hash"):
            report.findings.append(
                Finding(
                    "checkpoint",
                    seq,
                    f"{label} signed hash {payload.get('hash')} for this entry; the register now "
                    f"shows {by_seq[seq].get('hash')}: the chain was rewritten",
                )
            )
        if previous is not None:
            before = previous.get("payload") or {}
            if (before.get("seq") or 0) > seq or (
                (_time(before.get("signed_at")) or datetime.min) > (_time(signed) or datetime.max)
            ):
                report.findings.append(
                    Finding("checkpoint", seq, f"{label} does not extend the checkpoint before it")
                )
        previous = cp
        report.checkpoints += 1
        report.latest = payload


def check_since(old: dict, report: Report, keys: dict[str, dict]) -> None:
    """Compare with the state a previous run kept (entries, checkpoints, keys)."""
    if old.get("org_id") not in (None, report.state.get("org_id")):
        report.findings.append(Finding("since", None, "the state file is of another unit"))
        return
    since = old.get("checked_at", "the previous check")
    now_entries = report.state["entries"]
    for seq, digest in sorted(old.get("entries", {}).items(), key=lambda kv: int(kv[0])):
        shown = now_entries.get(seq)
        if shown is None:
            report.findings.append(
                Finding("since", int(seq), f"removed since {since} (it had hash {digest})")
            )
        elif shown != digest:
            report.findings.append(
                Finding("since", int(seq), f"changed since {since}: hash {digest} → {shown}")
            )
    now_cps = report.state["checkpoints"]
    for cp_id, signed in old.get("checkpoints", {}).items():
        if now_cps.get(cp_id) != signed:
            what = "removed" if cp_id not in now_cps else "changed"
            report.findings.append(
                Finding("since", signed[0] if signed else None, f"checkpoint {cp_id} {what}")
            )
    for kid, x in old.get("keys", {}).items():
        if kid not in keys or keys[kid].get("x") != x:
            report.findings.append(Finding("since", None, f"key {kid} removed or changed"))


def verify_remote(
    base_url: str,
    org_code: str,
    *,
    state: dict | None = None,
    fetch: Callable[[str], Any] = fetch_json,
) -> Report:
    """Read the unit's public register, checkpoints and keys at ``base_url`` and check them."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RemoteError(f"{base_url}: not an http(s) address")
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    code = quote(org_code, safe="")
    keys_doc = fetch(f"{base}/.well-known/gongkai-register-keys.json")
    keys = {str(k.get("kid")): k for k in (keys_doc or {}).get("keys", []) if isinstance(k, dict)}
    entries, first = _pages(f"{base}/o/{code}/register.json?after=0&limit=1000", "entries", base,
                            fetch)  # fmt: skip
    checkpoints, _doc = _pages(f"{base}/o/{code}/register/checkpoints.json", "checkpoints", base,
                               fetch)  # fmt: skip
    report = Report(org_code)
    report.state = {
        "base": base,
        "org_code": org_code,
        "org_id": (first.get("organisation") or {}).get("id"),
        "checked_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    by_seq = check_entries(entries, report)
    check_head(first.get("head"), by_seq, report)
    check_checkpoints(checkpoints, keys, by_seq, report)
    report.state["entries"] = {str(s): e.get("hash") for s, e in by_seq.items()}
    report.state["checkpoints"] = {
        str(c.get("id")): [(c.get("payload") or {}).get("seq"), c.get("signature")]
        for c in checkpoints
    }
    report.state["keys"] = {kid: k.get("x") for kid, k in keys.items()}
    if state:
        check_since(state, report, keys)
    return report


def load_state(path: Path) -> dict | None:
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RemoteError(f"{path}: not a state file written by this command") from exc


def save_state(path: Path, report: Report) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(report.state, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
