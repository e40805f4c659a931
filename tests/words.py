"""The English-word crawl: what a person reads on a page, and the English words in it.

``tests/test_words.py`` signs in as each kind of demo person, follows the links of the console
and the portal from where they start (bounded), and reads every HTML page in Chinese and in
Uyghur. A word of Latin letters that a person reads there is a word nobody translated, unless it
is one of :data:`ALLOWED` (formats, protocols, proper names), a code somebody typed (the
organisations' codes and the user names), inside an address (URL, e-mail, host name), or
inside an element marked as not to be translated: ``translate="no"`` (HTML's own attribute, for
a code, a file name, a sample) or ``lang="en"`` (text that is English on purpose, such as the
language switcher's "English"). The tooltip of a ``<data>`` element that repeats its
machine-readable ``value`` is a code too (the audit log shows an action in words and keeps its
code there for specialists: ``<data value="auth.login" title="auth.login">登录</data>``).

Run it by hand against an instance with the demo loaded::

    GONGKAI_INSTANCE_PATH=/tmp/inst .venv/bin/python -m tests.words [username ...]
"""

from __future__ import annotations

import re
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

LOCALES = ("zh_Hans_CN", "ug")

ALLOWED = frozenset(
    [
        "CSV",
        "XLSX",
        "PDF",
        "API",
        "JSON",
        "YAML",
        "XML",
        "RSS",
        "Atom",
        "SVG",
        "PNG",
        "JPEG",
        "JPG",
        "YML",
        "GIF",
        "WebP",
        "ZIP",
        "QR",
        "URL",
        "HTTP",
        "HTTPS",
        "OIDC",
        "OAuth",
        "SSO",
        "CAS",
        "ID",
        "DCAT",
        "JSON-LD",
        "LD",
        "UTF",
        "HTML",
        "SMTP",
        "SMS",
        "Excel",
        "Gongkai",
        "DCAT-AP",
        "AP",
        "CSS",
        "OpenAPI",
        "DOCX",
        "ODT",
        "ICS",
        "Markdown",
        "SHA",
        "Ed",
        "ASCII",
        "Word",
        "PowerPoint",
        "WPS",
        "KB",
        "MB",
        "GB",
        "Webhook",
        "Issuer",
        "issuer",
        "claim",
        "claims",
        "scope",
        "scopes",
        "chinese-calendar",
        "Redis",  # the job queue's name, as the platform admin installs it
        "REDIS_URL",  # the setting that names it
    ]
)
"""Words allowed on a translated page: formats, protocols, standards, the product's name, and
the terms of OpenID Connect that a platform admin copies from a portal's documentation."""
PHRASES = ("OpenID Connect", "Client ID", "Client secret", "JSON Schema")
"""Names of more than one word allowed as they are (standards, fields of a protocol)."""

SKIP_TAGS = frozenset(
    {"script", "style", "template", "svg", "math", "code", "kbd", "samp", "textarea"}
)
"""Not read: scripts, styles, machine text (a command, a digest, a code shown as one) and what
a person types (a text area's content)."""
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)  # elements without an end tag
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
BUTTON_INPUTS = frozenset({"submit", "button", "reset"})

ADDRESS = re.compile(
    r"(?:https?://|mailto:)\S+"  # URLs
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:cn|com|org|net|gov|edu|example|test|local|localhost)\b"
    r"|(?<![\w/])/[\w./%?=&#-]+"  # paths shown as text (/o/kashgar/...)
    r"|(?<![A-Za-z])[A-Z][a-z]+/[A-Z][A-Za-z_]+(?![A-Za-z])"  # time zones (Asia/Shanghai)
    r"|(?<![A-Za-z0-9])[A-Z]{2,}(?:-[A-Z0-9]{2,}){2,}(?![A-Za-z0-9])"  # lookup codes (FK-HSPE-YPEU)
)
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.'’-]*")
RULE_ID = re.compile(
    r"(?<![A-Za-z0-9])(?:ORG|CAT|PUB|SCOPE|SEC|REQ|FB|ARC|SUP|RPT|SOE|SCH|VIL|IAM)-\d+(?![0-9])"
)
FILE_NAME = re.compile(
    r"\.(?:json|jsonld|csv|xlsx?|pdf|svg|png|jpe?g|gif|webp|docx?|pptx?|wps|xml|atom|yaml|yml|txt|zip)$",
    re.I,
)
SKIPPED_PATH = re.compile(
    r"^/(?:api|static|auth/logout|auth/callback|auth/sso|\.well-known|healthz|readyz)"
    r"|\.(?:pdf|csv|xlsx|svg|png|json|jsonld|xml|atom|ics|zip|txt|eml)$"
    r"|/attachments/\d+$"
)


@dataclass
class Text:
    """What a person reads on a page: text runs, each with the path of elements around it."""

    runs: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    links: list[str] = field(default_factory=list)


class Reader(HTMLParser):
    """Collects the readable text of a page (and its links), leaving out what
    :mod:`tests.words` says is not to be read as words."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text = Text()
        self.stack: list[tuple[str, bool]] = []  # (tag, exempt)

    def _exempt(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        exempt = (
            self._exempt()
            or tag in SKIP_TAGS
            or attrs.get("translate") == "no"
            or (attrs.get("lang") or "").lower().startswith("en")
            or "hidden" in attrs  # not shown (honeypots, templates)
        )
        if tag == "a" and attrs.get("href"):
            self.text.links.append(attrs["href"])
        if not exempt:
            where = self._where(tag)
            for name in SHOWN_ATTRIBUTES:
                if name == "title" and tag == "data" and attrs.get("title") == attrs.get("value"):
                    continue  # the machine-readable value of a <data> shown to specialists
                if attrs.get(name):
                    self.text.runs.append((f"{where}@{name}", attrs[name]))
            if tag == "input" and attrs.get("type") in BUTTON_INPUTS and attrs.get("value"):
                self.text.runs.append((f"{where}@value", attrs["value"]))
        if tag not in VOID:
            self.stack.append((tag, exempt))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):  # tolerate unclosed elements
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if data.strip() and not self._exempt():
            self.text.runs.append((self._where(), data))

    def _where(self, tag: str | None = None) -> str:
        tags = [t for t, _ in self.stack[-3:]] + ([tag] if tag else [])
        return ">".join(tags)


def read(html: str) -> Text:
    reader = Reader()
    reader.feed(html)
    reader.close()
    return reader.text


def english_words(text: str, typed: frozenset[str] = frozenset()) -> list[str]:
    """The words of ``text`` that are English and should not be: not allowed, not a code
    somebody typed (``typed``), not inside an address, not a number or a code with digits
    (receipt numbers, digests); a rule id (``PUB-5``) counts, as users never see those."""
    text = ADDRESS.sub(" ", text)
    for phrase in PHRASES:
        text = text.replace(phrase, " ")
    out = RULE_ID.findall(text)
    for token in TOKEN.findall(text):
        token = token.rstrip(".-'’")
        if not token or token in typed or any(c.isdigit() for c in token):
            continue
        if FILE_NAME.search(token):
            continue
        if token in ALLOWED or token.upper() in ALLOWED:
            continue
        if "_" in token or "." in token:  # a code (leadership.duties, in_review)
            out.append(token)
            continue
        for word in token.split("-"):
            if len(word) >= 2 and word not in ALLOWED and word.upper() not in ALLOWED:
                out.append(word)
    return out


@dataclass
class Finding:
    path: str
    where: str
    words: list[str]
    context: str

    def __str__(self) -> str:
        return f"{self.path}  [{self.where}]  {' '.join(self.words)}  «{self.context[:120]}»"


FORMAT_PAGES = re.compile(r"/data/fields$|/admin/platform/calendar/import$")
"""Pages that document a file format (the fields of the open data, the working-day calendar's
CSV): the codes a file holds (``published``, ``true``, ``UTC``, ``holiday``) are read there as
codes."""
FORMAT_CODE = re.compile(r"^(?:[a-z][a-z0-9_]*|UTC|ISO|YYYY|MM|DD)$")


def findings(path: str, html: str, typed: frozenset[str]) -> Iterator[Finding]:
    codes = FORMAT_PAGES.search(urlsplit(path).path) is not None
    for where, run in read(html).runs:
        words = english_words(run, typed)
        if codes:
            words = [w for w in words if not FORMAT_CODE.match(w)]
        if words:
            yield Finding(path, where, words, " ".join(run.split()))


def pattern(path: str) -> str:
    """The shape of a path: numbers and the values of the query left out (``/items/<n>``)."""
    parts = urlsplit(path)
    shape = re.sub(
        r"/\d+(?=/|$)", "/<n>", re.sub(r"^(/admin)?/o/[^/]+", r"\1/o/<code>", parts.path)
    )
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return shape + ("?" + "&".join(keys) if keys else "")


def normalise(href: str, base: str) -> str | None:
    """The same-site path of a link (None for another site, a fragment or a skipped path)."""
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != "localhost"):
        return None
    path = parts.path
    if not path:
        return None
    if not path.startswith("/"):
        path = base.rsplit("/", 1)[0] + "/" + path
    if SKIPPED_PATH.search(path):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    if any(k == "lang" for k, _ in parse_qsl(parts.query)) and not query and path == base:
        return None
    return path + ("?" + urlencode(query) if query else "")


@dataclass
class Crawl:
    pages: int = 0
    seen: dict[str, int] = field(default_factory=dict)  # path -> status
    found: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def crawl(
    client,
    start: Iterable[str],
    *,
    typed: frozenset[str],
    limit: int = 400,
    per_pattern: int = 4,
    forbidden: re.Pattern | None = None,
) -> Crawl:
    """Follow the same-site links of the HTML pages from ``start`` (breadth first), at most
    ``limit`` pages and ``per_pattern`` pages of one shape; read each page's words."""
    result = Crawl()
    queue = deque(start)
    shapes: Counter[str] = Counter()
    while queue and result.pages < limit:
        path = queue.popleft()
        if path in result.seen or (forbidden is not None and forbidden.search(path)):
            continue
        shape = pattern(path)
        if shapes[shape] >= per_pattern:
            continue
        shapes[shape] += 1
        response = client.get(path)
        result.seen[path] = response.status_code
        if response.status_code >= 500:
            result.errors.append(f"{path}: {response.status_code}")
        if response.status_code in (301, 302, 303, 307, 308):
            target = normalise(response.headers.get("Location", ""), path)
            if target:
                queue.append(target)
            continue
        if not response.content_type.startswith("text/html"):
            continue
        result.pages += 1
        html = response.get_data(as_text=True)
        result.found.extend(findings(path, html, typed))
        for href in read(html).links:
            target = normalise(href, path)
            if target and target not in result.seen:
                queue.append(target)
    return result


def report(found: list[Finding], limit: int = 200) -> str:
    """The findings, one a line, the words that occur most first (for a failing test)."""
    counts = Counter(w for f in found for w in f.words)
    lines = [f"{len(found)} runs with English words; most frequent: "
             + ", ".join(f"{w} ({n})" for w, n in counts.most_common(40))]  # fmt: skip
    seen = set()
    for f in found:
        key = (pattern(f.path), f.context)
        if key in seen:
            continue
        seen.add(key)
        lines.append(str(f))
        if len(lines) > limit:
            lines.append("…")
            break
    return "\n".join(lines)


def typed_codes() -> frozenset[str]:
    """What people typed that pages show as it is: organisation codes and user names."""
    from sqlalchemy import select

    from core import db
    from tenants.models import Organisation, User

    codes = set(db.session.scalars(select(Organisation.code)))
    codes |= set(db.session.scalars(select(User.username)))
    return frozenset(codes)


def seeds(app, username: str | None) -> list[str]:
    """Where a person starts: the home pages, and for a person with roles the pages of each of
    their organisations that need nothing but the organisation's code (a page not linked from
    anywhere is read too)."""
    from sqlalchemy import select

    from core import db
    from tenants.models import Membership, Organisation, User

    start = ["/", "/admin", "/admin/platform/", "/notifications", "/requests"]
    if username is None:
        return start[:1]
    user = db.session.scalar(select(User).where(User.username == username))
    codes = db.session.scalars(
        select(Organisation.code)
        .join(Membership, Membership.org_id == Organisation.id)
        .where(Membership.user_id == user.id)
    )
    rules = [
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in r.methods
        and set(r.arguments) == {"org_code"}
        and not SKIPPED_PATH.search(r.rule)
    ]
    for code in codes:
        start += sorted(rule.replace("<org_code>", code) for rule in rules)
    return start


def main(argv: list[str]) -> int:  # pragma: no cover - a tool for developers
    from sqlalchemy import select

    from core.app import create_app
    from core.plugins.testing import IsolatedClient, csrf_token
    from tenants.models import User

    app = create_app()
    users = argv or ["anonymous"]
    ctx = app.app_context()
    ctx.push()  # requests run in their own app context (IsolatedClient), as in production
    app.test_client_class = type("Client", (IsolatedClient,), {"outer_context": ctx})
    if True:
        typed = typed_codes()
        from core import db

        total = []
        for username in users:
            for locale in LOCALES:
                client = app.test_client()
                if username != "anonymous":
                    user = db.session.scalar(select(User).where(User.username == username))
                    user.locale = locale
                    db.session.commit()
                    token = csrf_token(client)
                    client.post("/auth/login", data={"username": username,
                                "password": "gongkai-demo", "csrf_token": token})  # fmt: skip
                else:
                    client.get(f"/?lang={locale}")
                start = seeds(app, None if username == "anonymous" else username)
                done = crawl(client, start, typed=typed)
                print(f"== {username} {locale}: {done.pages} pages, {len(done.found)} findings")
                for error in done.errors:
                    print("   ERROR", error)
                total.extend(done.found)
        print(report(total, limit=100000))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
