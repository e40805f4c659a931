"""What waits for the signed-in person in the supervision (My work, ``/admin``): one query per
group. The console home's registry calls these (``core.web``'s My work providers, when they
land); each returns ``[(label, organisation, count, link)]``.

* findings to rectify — the units where the person answers findings (admin, editor);
* rectifications to check — answered findings the person's organisations raised;
* flags to confirm — open automatic flags of the units below the organisations where the
  person decides on them.
"""

from __future__ import annotations

from flask import url_for

from core.i18n import _
from core.supervision import reading

GROUPS = {
    "findings_to_rectify": _("Findings to rectify"),
    "findings_to_check": _("Rectifications to check"),
    "flags_to_confirm": _("Automatic flags to confirm"),
}


def findings_to_rectify(user) -> list[tuple[str, object, int, str]]:
    return [
        (
            str(GROUPS["findings_to_rectify"]),
            org,
            count,
            url_for("supervision_admin.index", org_code=org.code) + "#rectify",
        )
        for org, count in reading.findings_to_rectify(user)
    ]


def findings_to_check(user) -> list[tuple[str, object, int, str]]:
    return [
        (
            str(GROUPS["findings_to_check"]),
            org,
            count,
            url_for("supervision_admin.index", org_code=org.code) + "#raised",
        )
        for org, count in reading.findings_to_check(user)
    ]


def flags_to_confirm(user) -> list[tuple[str, object, int, str]]:
    return [
        (
            str(GROUPS["flags_to_confirm"]),
            org,
            count,
            url_for("supervision_admin.flags", org_code=org.code),
        )
        for org, count in reading.flags_to_decide(user)
    ]


PROVIDERS = (findings_to_rectify, findings_to_check, flags_to_confirm)


def waiting(user) -> list[tuple[str, object, int, str]]:
    """Everything of the supervision waiting for ``user`` (three queries at most)."""
    return [row for provider in PROVIDERS for row in provider(user)]
