"""The supervision's demo (SUP-1, SUP-2): loaded by ``gongkai demo load`` after the requests,
feedback and evaluation, through the real operations.

* a supervisor (监督员) of Hongjiang, ``hongjiang-supervisor`` (password ``gongkai-demo``), who
  reads the whole county;
* the automatic flags' sweep, once (the units' overdue disclosures, late answers …);
* Hongjiang's ad hoc inspection of Qiancheng town: a finding for village 1 still open, one for
  village 2 answered and closed, one for the town answered and waiting to be checked;
* a flag of village 1 confirmed as a finding, another dismissed with a reason;
* a planned inspection of the agriculture bureau next month.

Running it again changes nothing: a county that already recorded inspections is left as it is.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import db
from core.errors import UserError
from core.supervision import operations as ops
from core.supervision.models import Inspection, SupervisionFlag
from tenants import operations as tenants

COUNTY = "hongjiang"
TOWN = "hongjiang-qiancheng-town"
VILLAGES = ("hongjiang-qiancheng-village1", "hongjiang-qiancheng-village2")
BUREAU = "hongjiang-agri"
SUPERVISOR = "hongjiang-supervisor"
PASSWORD = "gongkai-demo"  # noqa: S105 - the documented demo password


def _get(get, key: str):
    found = get(key)
    if found is None:
        raise UserError(f"The demo's {key} is missing: load the demo counties first.")
    return found


def load() -> str:
    raised, resolved = ops.raise_flags()
    county = _get(tenants.get_org, COUNTY)
    if db.session.scalar(select(func.count(Inspection.id)).where(Inspection.org_id == county.id)):
        return f"Demo supervision: flags raised {raised}, resolved {resolved}; kept as it was."
    admin = _get(tenants.get_user, f"{COUNTY}-admin")
    if tenants.get_user(SUPERVISOR) is None:
        person = tenants.create_user(SUPERVISOR, password=PASSWORD, display_name="洪江市监督员")
        tenants.grant_membership(person, county, "supervisor")
    # the town and its villages come from the village plugin's demo (loaded before this stage)
    found = [tenants.get_org(code) for code in (TOWN, *VILLAGES)]
    if None in found:
        return (
            f"Demo supervision: flags raised {raised}, resolved {resolved}; no inspection "
            "(the village plugin's demo units are not there)."
        )
    town, village1, village2 = found
    today = ops.today(county)
    inspection = ops.record_inspection(
        county,
        {
            "kind": "ad_hoc",
            "target": town,
            "subject": "黔城镇党务公开工作专项检查",
            "basis": "《中国共产党党务公开条例（试行）》、洪江市党务公开基本目录",
            "planned_on": today,
        },
        actor=admin,
    )
    open_one = ops.add_finding(
        inspection,
        {
            "unit": village1,
            "description": "第三季度党费收缴、使用和管理情况应公开未公开。",
            "requirement": "十日内在村务公开栏和网站补充公开，并说明延迟原因。",
            "deadline": today + timedelta(days=10),
        },
        actor=admin,
    )
    closed_one = ops.add_finding(
        inspection,
        {
            "unit": village2,
            "description": "公开栏照片和内容未按月更新。",
            "requirement": "按月更新公开栏，留存照片备查。",
        },
        actor=admin,
    )
    answered_one = ops.add_finding(
        inspection,
        {"unit": town, "description": "镇党委未按期签收所属支部报备的申请处理决定。"},
        actor=admin,
    )
    for finding, username, text in (
        (closed_one, f"{VILLAGES[1]}-admin", "已更新公开栏并建立月度检查制度，附照片。"),
        (answered_one, f"{TOWN}-admin", "已全部签收，并明确专人每周查看报备。"),
    ):
        ops.answer(finding, actor=_get(tenants.get_user, username), rectification=text)
    ops.close(closed_one, actor=admin, comment="整改到位，同意销号。")
    ops.conclude(
        inspection,
        actor=admin,
        summary="黔城镇党务公开工作总体规范，发现问题3个，已现场反馈，限期整改。",
    )
    ops.record_inspection(
        county,
        {
            "kind": "planned",
            "target": _get(tenants.get_org, BUREAU),
            "subject": "农业农村局系统党务公开年度检查",
            "planned_on": today + timedelta(days=30),
        },
        actor=admin,
    )
    flags = db.session.scalars(
        select(SupervisionFlag)
        .where(SupervisionFlag.org_id == village1.id, SupervisionFlag.state == "open")
        .order_by(SupervisionFlag.id)
        .limit(2)
    ).all()
    if len(flags) == 2:
        facts = flags[0].facts
        ops.confirm_flag(
            flags[0],
            county,
            {
                "description": f"应公开事项到期未公开（{facts.get('period_key', '')}，"
                f"应于{facts.get('due_on', '')}公开）。",
                "requirement": "补充公开，并在组织生活会上说明原因。",
            },
            actor=admin,
        )
        ops.dismiss_flag(flags[1], county, actor=admin, reason="该期因支部换届顺延，已报备。")
    findings = 4 if len(flags) == 2 else 3
    return (
        f"Demo supervision: flags raised {raised}, resolved {resolved}; 2 inspections, "
        f"{findings} findings ({open_one.state}, {closed_one.state}, {answered_one.state} …), "
        f"a supervisor ({SUPERVISOR})."
    )
