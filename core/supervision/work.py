"""The supervision's groups of My work (:mod:`core.web.work`), one query each:

* findings to rectify — open findings of the units where the person answers them (admin,
  editor), the overdue first;
* rectifications to check — answered findings that the person's organisations raised;
* flags to confirm — open automatic flags of the units below the organisations where the person
  decides on them (admin, reviewer, supervisor).
"""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from core import db
from core.i18n import _
from core.supervision.forms import flag_kind
from core.supervision.models import Finding, SupervisionFlag
from core.supervision.workflow import MANAGERS, RESPONDERS
from core.web import work
from tenants.models import Organisation


@work.provider(
    "supervision.findings",
    _("Findings to rectify"),
    action=_("Rectify"),
    roles=RESPONDERS,
    order=60,
)
def findings_to_rectify(ctx: work.Context):
    rows = db.session.execute(
        select(Finding, Organisation)
        .join(Organisation, Organisation.id == Finding.org_id)
        .where(Finding.state == "open", Finding.org_id.in_(ctx.org_ids(RESPONDERS)))
        .order_by(Finding.deadline, Finding.id)
    )
    for finding, org in rows:
        yield work.Row(
            org,
            finding.description[:120],
            url_for("supervision_admin.finding", org_code=org.code, finding_id=finding.id),
            due=finding.deadline,
            urgency=work.urgency(finding.deadline, ctx.today),
        )


@work.provider(
    "supervision.rectifications",
    _("Rectifications to check"),
    action=_("Close or reopen"),
    roles=MANAGERS,
    order=61,
)
def rectifications_to_check(ctx: work.Context):
    rows = db.session.execute(
        select(Finding, Organisation)
        .join(Organisation, Organisation.id == Finding.supervisor_org_id)
        .where(Finding.state == "answered", Finding.supervisor_org_id.in_(ctx.org_ids(MANAGERS)))
        .order_by(Finding.answered_at, Finding.id)
    )
    for finding, org in rows:
        yield work.Row(
            org,
            finding.description[:120],
            url_for("supervision_admin.finding", org_code=org.code, finding_id=finding.id),
            note=(finding.rectification or "")[:120],
        )


@work.provider(
    "supervision.flags",
    _("Automatic flags to confirm"),
    action=_("Confirm or dismiss"),
    roles=MANAGERS,
    order=62,
)
def flags_to_confirm(ctx: work.Context):
    rows = db.session.execute(
        select(SupervisionFlag, Organisation)
        .join(Organisation, Organisation.id == SupervisionFlag.org_id)
        .where(SupervisionFlag.state == "open", ctx.below(MANAGERS))
        .order_by(SupervisionFlag.raised_at, SupervisionFlag.id)
        .limit(200)
    )
    for flag, org in rows:
        decider = ctx.nearest_above(org, MANAGERS)
        if decider is None:
            continue
        yield work.Row(
            org,
            flag_kind(flag.kind),
            url_for("supervision_admin.flag", org_code=decider.code, flag_id=flag.id),
        )
