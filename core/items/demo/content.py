"""The words of the demo items: titles and Markdown bodies per catalogue entry and period.

Every text is made from the catalogue entry, the unit (its name, members, officers, contacts and
sector, as ``tenants/demo/counties.yaml`` gives them) and a random generator seeded by the unit's
code, so the demo is the same on every load. What units disclose follows the five source plans
(reference/source-plans.txt): dues, "three meetings and one lecture", democratic appraisal,
elections, candidates' notices, the integrity responsibility system, practical matters done for
the people. All people named are fictional.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from tenants.leading_group import person_text

CN_NUMBERS = "零一二三四五六七八九十"
QUARTERS_ZH = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
HALVES_ZH = {1: "上半年", 2: "下半年"}
HALVES_UG = {1: "بىرىنچى يېرىم يىل", 2: "ئىككىنچى يېرىم يىل"}
HALVES_EN = {1: "first half of", 2: "second half of"}

NAMES_HAN = [
    *("张建华", "王志刚", "陈国强", "赵文斌", "周立军", "徐卫东", "马建平", "何思远", "罗小军"),
    *("林海波", "宋志勇", "韩卫国", "邓建新", "彭德明", "肖红军", "田晓东", "蒋志华", "杜建国"),
    *("姚振宇", "汪立群", "李秀英", "刘晓燕", "杨丽娟", "黄春梅", "吴海燕", "孙丽华", "朱红霞"),
    *("郭玉兰", "高秀云", "谢春花", "唐丽萍", "冯晓梅", "曹雪梅", "曾淑芬", "潘美玲", "袁海燕"),
    *("夏丽君", "钟秀兰"),
]
NAMES_KASHGAR = [
    *("阿布都热合曼", "买买提江", "艾尔肯", "努尔艾力", "吐尔逊"),
    *("古丽米拉", "热依拉", "帕提古丽", "迪丽努尔", "阿米娜", "王丽", "李红梅", "张晓静", "陈雪"),
]
FEMALE = {*NAMES_HAN[20:], *NAMES_KASHGAR[5:]}

MONTH_THEMES = {
    1: "新春走访慰问困难党员和老党员",
    2: "学习党章，重温入党誓词",
    3: "学雷锋志愿服务活动",
    4: "清明节缅怀革命先烈",
    5: "廉政警示教育专题学习",
    6: "“七一”前夕党性教育",
    7: "庆祝建党纪念日，表彰优秀共产党员",
    8: "防汛减灾志愿服务",
    9: "走访慰问困难群众",
    10: "“我为群众办实事”实践活动",
    11: "学习贯彻上级全会精神专题研讨",
    12: "年度组织生活会会前谈心谈话",
}
STUDY_TEXTS = (
    "《中国共产党章程》",
    "《中国共产党党务公开条例（试行）》",
    "《中国共产党支部工作条例（试行）》",
    "《中国共产党纪律处分条例》",
    "《中国共产党党员教育管理工作条例》",
    "习近平新时代中国特色社会主义思想专题摘编",
    "党的二十大报告",
    "《中国共产党廉洁自律准则》",
    "《中国共产党党内监督条例》",
    "《中国共产党党员权利保障条例》",
)

PRACTICAL = {  # by code prefix, then by sector
    "kashgar": (
        "开展“家园共育”家庭教育公益讲座",
        "为园区周边社区幼儿开展免费健康体检",
        "改造幼儿园门口接送区遮阳棚",
        "组织党员教师结对帮扶困难家庭幼儿",
    ),
    "hongjiang": (
        "春耕备耕农技服务下乡",
        "为农户免费开展土壤检测和配方施肥指导",
        "帮助联系村修缮灌溉水渠",
        "组织党员技术骨干开展柑橘病虫害防治培训",
    ),
    "xiaoyi": (
        "新建社区街头游园两处",
        "为老旧小区补植行道树",
        "开放公园公共卫生间延长服务时间",
        "开展“绿化进社区”义务植树",
    ),
    "chenggong": (
        "为市场主体开通登记注册绿色通道",
        "开展“红盾护农”农资市场专项检查",
        "在斗南花卉市场设立消费维权服务站",
        "为个体工商户开展政策宣讲和年报指导",
    ),
    "hengdong": (
        "为农村学校教师送教下乡",
        "开设高考补习公益辅导讲座",
        "为家庭困难学员减免培训费用",
        "改善学员宿舍热水供应",
    ),
}
SECTOR_PRACTICAL = {
    "retirees": ("组织老党员健康讲座和义诊", "为行动不便的老党员送学上门"),
    "soe": ("修缮场部职工宿舍", "为职工开展免费健康体检"),
    "social_organisation": ("为小微企业开展党建和经营政策宣讲", "帮助会员企业办理年报"),
}
BASES = (
    "《中国共产党党务公开条例（试行）》第十条",
    "《中国共产党党务公开条例（试行）》第十条、第十一条及本单位党务公开目录",
    "《中华人民共和国保守国家秘密法》和本单位保密审查规定",
)


@dataclass
class Unit:
    """What the texts say about the unit."""

    code: str
    name: str  # full Chinese name
    short: str
    name_ug: str | None
    sector: str
    members: int
    secretary: str
    hotline: str
    suggestion_box: str | None
    reception_day: str | None
    leading_group: dict
    rng: random.Random
    committee: str = "支部委员会"  # who decides: 支部委员会, 党总支委员会, 党委会
    used_names: set[str] = field(default_factory=set)

    def people(self, count: int) -> list[str]:
        pool = NAMES_KASHGAR if self.code.startswith("kashgar") else NAMES_HAN
        free = [n for n in pool if n not in self.used_names] or list(pool)
        chosen = self.rng.sample(free, min(count, len(free)))
        self.used_names.update(chosen)
        return chosen


def gender(name: str) -> str:
    return "女" if name in FEMALE else "男"


def clean_name(text: str | None) -> str:
    return (text or "").replace("（演示）", "").strip()


@dataclass
class Period:
    cadence: str
    key: str | None
    start: date | None = None
    end: date | None = None

    @property
    def year(self) -> int:
        return int(self.key[:4]) if self.key else 0

    def zh(self) -> str:
        if not self.key:
            return ""
        year = self.key[:4]
        if self.cadence == "yearly":
            return f"{year}年度"
        if "-Q" in self.key:
            return f"{year}年{QUARTERS_ZH[int(self.key[-1])]}"
        if "-H" in self.key:
            return f"{year}年{HALVES_ZH[int(self.key[-1])]}"
        if "-M" in self.key:
            return f"{year}年{int(self.key[-2:])}月"
        return f"{year}年"

    def en(self) -> str:
        if not self.key:
            return ""
        year = self.key[:4]
        if "-Q" in self.key:
            return f"Q{self.key[-1]} {year}"
        if "-H" in self.key:
            return f"{HALVES_EN[int(self.key[-1])]} {year}"
        if "-M" in self.key:
            return f"{date(int(year), int(self.key[-2:]), 1):%B} {year}"
        return year

    def ug(self) -> str:
        if not self.key:
            return ""
        year = self.key[:4]
        if "-Q" in self.key:
            return f"{year}-يىلى {self.key[-1]}-پەسىل"
        if "-H" in self.key:
            return f"{year}-يىلى {HALVES_UG[int(self.key[-1])]}"
        if "-M" in self.key:
            return f"{year}-يىلى {int(self.key[-2:])}-ئاي"
        return f"{year}-يىل"

    def months(self) -> list[int]:
        if self.start is None or self.end is None:
            return []
        return list(range(self.start.month, self.end.month + 1))


@dataclass
class Text:
    zh_title: str
    zh_body: str
    en_title: str | None = None
    en_body: str | None = None


def d(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _money(value: float) -> str:
    return f"{value:,.2f}"


def topic_of(key: str) -> str:
    """The topic a catalogue entry key speaks about (templates name them differently)."""
    for topic, keys in TOPIC_KEYS.items():
        if key in keys:
            return topic
    return "generic"


TOPIC_KEYS = {
    "dues": ("organisation.dues", "personnel.members.dues"),
    "meetings": ("organisation.meetings",),
    "study": ("ideology.study", "publicity.study.plan"),
    "training": ("ideology.training", "publicity.training.plan"),
    "civilisation": ("ideology.civilisation", "publicity.civilisation.activities"),
    "excellence": ("organisation.excellence",),
    "superior": ("resolutions.superior", "central.decisions.implementation"),
    "structure": ("organisation.structure",),
    "duties": ("leadership.duties", "personnel.leadership.duties"),
    "rules": ("leadership.rules",),
    "supervision": ("cadres.supervision",),
    "opinions": ("service.opinions", "central.service.opinions"),
    "petitions": ("service.petitions",),
    "difficulties": ("service.difficulties", "retirees.care"),
    "responsibility": ("integrity.responsibility", "integrity.responsibility.implementation"),
    "ethics": ("integrity.ethics",),
    "campus": ("other.campus", "other.school-affairs", "kg3.parents"),
    "rectification": ("integrity.rectification.work",),
    "plan": ("resolutions.plan", "central.priorities.annual"),
    "evaluation": ("organisation.evaluation",),
    "funds": ("organisation.funds",),
    "rights": ("organisation.rights",),
    "life_meeting": ("leadership.life-meeting", "personnel.leadership.life-meeting"),
    "assessment": ("leadership.assessment", "cadres.assessment"),
    "self_discipline": ("integrity.self-discipline", "integrity.self-discipline.report"),
    "frugality": ("integrity.frugality", "integrity.soe-pay", "integrity.three-important"),
    "extension": ("agritech.extension", "private.guidance", "tts.training"),
    # event-driven entries
    "recruitment": ("organisation.recruitment", "personnel.members.recruitment"),
    "selection": ("cadres.selection", "personnel.cadres.selection"),
    "models": ("ideology.models",),
    "election": ("organisation.election",),
    "practical": ("service.practical", "central.service.practical"),
    "major": (
        "resolutions.major",
        "resolutions.three-important",
        "resolutions.livelihood",
        "central.priorities.stages",
    ),
    "discipline": ("integrity.discipline", "integrity.cases.results"),
    "rotation": ("cadres.rotation",),
    "hot_issues": ("other.hot-issues",),
    "superior_request": ("other.superior", "personnel.other.items", "integrity.other.items"),
}


def _footer(u: Unit) -> str:
    parts = [f"联系电话：{u.hotline}"]
    if u.suggestion_box:
        parts.append(f"意见箱：{u.suggestion_box}")
    if u.reception_day:
        parts.append(f"接待日：{u.reception_day}")
    return "\n\n> 党员群众如有意见建议，请通过以下方式反映：" + "；".join(parts) + "。"


def periodic(u: Unit, entry, period: Period, decided: date) -> Text:
    """The text of a periodic or standing disclosure of ``entry`` for ``period``."""
    topic = topic_of(entry.key)
    title = f"{period.zh()}{entry.titles['zh_Hans_CN']}"
    maker = PERIODIC.get(topic, _generic)
    zh_title, body = maker(u, entry, period, decided, title)
    en = entry.titles.get("en")
    return Text(
        zh_title,
        f"{body.rstrip()}\n{_footer(u)}\n",
        f"{entry.titles['en']} ({period.en()})" if en else None,
        _en_body(u, entry, period) if en else None,
    )


def _en_body(u: Unit, entry, period: Period) -> str:
    return (
        f"{entry.titles['en']}, {period.en()}: disclosed by the Party organisation according to "
        f"its disclosure catalogue. The Chinese version is authoritative. Questions: {u.hotline}."
    )


def ug_text(
    u: Unit, entry, period: Period | None, *, notice: bool = False
) -> tuple[str, str] | None:
    """A Uyghur title and body (the kindergarten discloses in both languages)."""
    ug_title = entry.titles.get("ug") if entry is not None else None
    if not ug_title:
        return None
    if period is not None and period.key:
        title = f"{period.ug()} {ug_title}"
    elif notice:
        title = f"ئاشكارە ئېلان: {ug_title}"
    else:
        title = ug_title
    body = (
        f"{u.name_ug or u.short} {title} توغرىسىدىكى ئەھۋالنى ئاشكارىلايدۇ.\n\n"
        f"- پارتىيە ئەزالىرى سانى: {u.members}\n"
        f"- مەسئۇل: {u.secretary}\n\n"
        f"تەپسىلىي مەزمۇنى خەنزۇچە نۇسخىسىدا. پىكىر-تەكلىپلىرىڭىز بولسا {u.hotline} "
        "نومۇرلۇق تېلېفونغا ئۇرۇڭ ياكى پىكىر ساندۇقىغا تاشلاڭ.\n"
    )
    return title, body


# --- periodic topics: (unit, entry, period, decided, default title) -> (title, body) ----------


def _generic(u, entry, period, decided, title):
    content = entry.content.get("zh_Hans_CN") or entry.titles["zh_Hans_CN"]
    done = u.rng.randint(3, 9)
    body = (
        f"根据本单位党务公开目录，现将{period.zh()}{entry.titles['zh_Hans_CN']}公开如下：\n\n"
        f"一、主要内容：{content}。\n\n"
        f"二、落实情况：{u.short}按照年初工作安排，共研究部署相关工作 {done} 项，"
        f"已全部落实 {done - u.rng.randint(0, 1)} 项，其余正在推进。\n\n"
        f"三、下一步打算：继续抓好各项工作落实，定期向党员群众公开进展情况。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _dues(u, entry, period, decided, title):
    months = len(period.months()) or 6
    per_month = u.rng.randint(28, 75) * u.members
    due = per_month * months
    paid = due if u.rng.random() < 0.8 else due - u.rng.randint(1, 3) * 50
    carried = u.rng.randint(2, 30) * 100.0
    up = round(paid * 0.5, 2)
    spent = round(paid * u.rng.uniform(0.15, 0.35), 2)
    balance = carried + paid - up - spent
    unpaid = (
        "全体党员均已按时足额交纳。"
        if paid == due
        else f"尚有 {u.rng.randint(1, 2)} 名党员因外出学习未按时交纳，已电话提醒补交。"
    )
    body = (
        f"按照《关于中国共产党党费收缴、使用和管理的规定》，现将{period.zh()}党费收缴、"
        f"使用和管理情况公示如下：\n\n"
        f"| 项目 | 金额（元） |\n|---|---:|\n"
        f"| 上期结余 | {_money(carried)} |\n"
        f"| 本期应交党费（{u.members} 名党员） | {_money(due)} |\n"
        f"| 本期实交党费 | {_money(paid)} |\n"
        f"| 按规定上缴上级党委 | {_money(up)} |\n"
        f"| 本期支出（党员教育、慰问困难党员） | {_money(spent)} |\n"
        f"| 期末结余 | {_money(balance)} |\n\n"
        f"{unpaid}党费支出均经{u.committee}集体研究，票据齐全。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    if u.rng.random() < 0.3:
        title = f"关于{period.zh()}党费收缴使用情况的公示"
    return title, body


def _meetings(u, entry, period, decided, title):
    months = period.months() or [1, 2, 3]
    teacher = u.secretary
    rows = "\n".join(
        f"| {m}月 | {MONTH_THEMES[m]} | {u.rng.randint(max(1, u.members - 4), u.members)} 人 |"
        for m in months
    )
    lecture = u.rng.choice(STUDY_TEXTS)
    body = (
        f"{period.zh()}，{u.short}严格落实“三会一课”制度，情况如下：\n\n"
        f"- 党员大会 {u.rng.randint(1, 2)} 次，"
        f"{u.committee} {len(months) + u.rng.randint(0, 2)} 次，"
        f"党小组会 {u.rng.randint(3, 6)} 次；\n"
        f"- 党课 1 次：{teacher}同志讲授专题党课，学习{lecture}；\n"
        f"- 主题党日活动 {len(months)} 次，安排如下：\n\n"
        f"| 月份 | 主题党日内容 | 参加人数 |\n|---|---|---|\n{rows}\n\n"
        f"应参加党员 {u.members} 人，因病因公请假的党员均已补学。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _study(u, entry, period, decided, title):
    texts = u.rng.sample(STUDY_TEXTS, 3)
    body = (
        f"{period.zh()}理论学习安排及落实情况：\n\n"
        f"1. 集中学习 {u.rng.randint(3, 6)} 次，学习{texts[0]}、{texts[1]}；\n"
        f"2. 专题研讨 {u.rng.randint(1, 2)} 次，"
        f"围绕{texts[2]}交流发言 {u.rng.randint(6, 15)} 人次；\n"
        f"3. 党员自学笔记平均 {u.rng.randint(8, 20)} 篇，参学率 {u.rng.randint(92, 100)}%。\n\n"
        f"下阶段将结合本单位工作实际，继续开展“学思践悟”专题学习。\n\n{u.name}\n{d(decided)}\n"
    )
    return title, body


def _training(u, entry, period, decided, title):
    body = (
        f"{period.zh()}党员干部教育培训情况：\n\n"
        f"- 组织党员参加上级党校和网络学院培训 {u.rng.randint(2, 5)} 期，"
        f"参训 {u.rng.randint(max(2, u.members // 3), u.members)} 人次；\n"
        f"- 举办本单位业务和党务知识培训 {u.rng.randint(1, 3)} 期；\n"
        f"- 党员人均学时 {u.rng.randint(16, 40)} 学时，达到年度培训计划要求。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _civilisation(u, entry, period, decided, title):
    acts = u.rng.sample(
        [
            "文明单位创建自查",
            "志愿服务进社区",
            "“最美家庭”评选",
            "文明交通劝导",
            "爱国卫生运动",
            "道德讲堂",
            "垃圾分类宣传",
        ],
        3,
    )
    body = (
        f"{period.zh()}，{u.short}开展精神文明创建活动 {u.rng.randint(4, 9)} 次，"
        f"主要有{acts[0]}、{acts[1]}和{acts[2]}，"
        f"参加党员群众 {u.rng.randint(u.members, u.members * 3)} 人次。\n\n{u.name}\n{d(decided)}\n"
    )
    return title, body


def _excellence(u, entry, period, decided, title):
    names = u.people(2)
    body = (
        f"{period.zh()}创先争优活动情况：\n\n"
        f"1. 设立党员示范岗 {u.rng.randint(2, 5)} 个，党员责任区 {u.rng.randint(2, 6)} 个；\n"
        f"2. 开展党员公开承诺、领导点评，{u.members} 名党员全部作出承诺；\n"
        f"3. {names[0]}、{names[1]}同志被评为本期“岗位标兵”。\n\n{u.name}\n{d(decided)}\n"
    )
    return title, body


def _superior(u, entry, period, decided, title):
    body = (
        f"{period.zh()}，{u.short}认真贯彻落实上级党组织决议、决定和工作部署：\n\n"
        f"1. 传达学习上级会议和文件精神 {u.rng.randint(4, 10)} 次，研究制定贯彻落实措施 "
        f"{u.rng.randint(3, 8)} 条；\n"
        f"2. 按要求完成上级部署的重点工作 {u.rng.randint(3, 6)} 项；\n"
        f"3. 按时向上级党组织报送党务公开工作情况报告。\n\n{u.name}\n{d(decided)}\n"
    )
    return title, body


def _structure(u, entry, period, decided, title):
    title = f"{u.short}组织设置和主要职责（{period.year}年）"
    group = u.leading_group or {}
    lines = [f"- 组织名称：{u.name}", f"- 党员人数：{u.members} 名", f"- 书记：{u.secretary}"]
    if group.get("office"):
        lines.append(f"- 党务公开工作机构：{group['office']}")
    lines.append(f"- 联系电话：{u.hotline}")
    body = (
        "## 组织设置\n\n" + "\n".join(lines) + "\n\n## 主要职责\n\n"
        "1. 宣传和执行党的路线、方针、政策，宣传和执行上级党组织和本组织的决议；\n"
        "2. 组织党员认真学习，加强对党员的教育、管理、监督和服务；\n"
        "3. 密切联系群众，经常了解群众对党员、党的工作的批评和意见；\n"
        "4. 做好发展党员工作，监督党员干部严格遵守国家法律法规。\n"
    )
    return title, body


def _duties(u, entry, period, decided, title):
    group = u.leading_group or {}
    rows = []
    if group.get("leader"):
        rows.append(f"| {person_text(group['leader'])} | 主持全面工作，党务公开第一责任人 |")
    for deputy in group.get("deputies") or []:
        rows.append(f"| {person_text(deputy)} | 协助书记工作，分管组织、宣传和纪检 |")
    for member in (group.get("members") or [])[:6]:
        rows.append(f"| {person_text(member)} | 按分工负责相关业务和联系点工作 |")
    if not rows:
        secretary, *others = [u.secretary, *u.people(2)]
        rows = [
            f"| {secretary}（书记） | 主持支部全面工作 |",
            f"| {others[0]}（组织委员） | 负责组织、党员管理和党费收缴 |",
            f"| {others[1]}（宣传委员） | 负责理论学习和宣传工作 |",
        ]
    body = (
        f"{period.year}年领导班子成员职责分工如下：\n\n| 成员 | 分工 |\n|---|---|\n"
        + "\n".join(rows)
        + f"\n\n{u.name}\n{d(decided)}\n"
    )
    return f"{u.short}{period.year}年领导班子职责分工", body


def _rules(u, entry, period, decided, title):
    body = (
        f"{u.short}议事规则和决策程序（{period.year}年修订）：\n\n"
        "1. 凡属重大决策、重要干部任免、重大项目安排和大额资金使用事项，"
        "必须经委员会集体讨论决定；\n"
        "2. 会议须有半数以上委员到会方能召开，讨论干部任免须有三分之二以上委员到会；\n"
        "3. 表决实行少数服从多数，会议决定由书记或委员按分工组织实施；\n"
        "4. 决策事项除涉密外，按照党务公开目录及时公开。\n"
    )
    return title, body


def _supervision(u, entry, period, decided, title):
    body = (
        f"{period.year}年干部监督制度及执行情况：\n\n"
        "- 严格执行领导干部个人有关事项报告制度；\n"
        "- 落实谈心谈话、函询和诫勉制度；\n"
        f"- 上一年度开展提醒谈话 {u.rng.randint(2, 8)} 人次，未发现违规问题。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _opinions(u, entry, period, decided, title):
    got = u.rng.randint(3, 18)
    done = got - u.rng.randint(0, 2)
    subjects = u.rng.sample(
        ["办事流程", "学习安排", "环境卫生", "服务态度", "设施维修", "信息公开", "食堂管理"], 3
    )
    body = (
        f"{period.zh()}，{u.short}通过意见箱、接待日、热线电话共收到党员群众意见建议 {got} 条，"
        f"主要涉及{subjects[0]}、{subjects[1]}和{subjects[2]}等方面。\n\n"
        f"已办结 {done} 条，正在办理 {got - done} 条，办理结果均已向反映人反馈。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _petitions(u, entry, period, decided, title):
    visits = u.rng.randint(1, 9)
    body = (
        f"{period.zh()}接待来信来访 {visits} 件（次），排查矛盾纠纷 {u.rng.randint(0, 3)} 起，"
        f"均已按程序办理，群众满意率 {u.rng.randint(93, 100)}%。\n\n{u.name}\n{d(decided)}\n"
    )
    return title, body


def _difficulties(u, entry, period, decided, title):
    families = u.rng.randint(2, 8)
    money = families * u.rng.choice((300, 400, 500, 600))
    body = (
        f"{period.zh()}帮扶困难党员群众情况：\n\n"
        f"- 走访慰问困难党员、老党员 {families} 户，发放慰问金 {_money(money)} 元"
        f"（其中党费列支 {_money(money * 0.6)} 元）；\n"
        f"- 党员结对帮扶 {u.rng.randint(2, 6)} 对，帮助解决实际困难 {u.rng.randint(3, 10)} 件。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _responsibility(u, entry, period, decided, title):
    body = (
        f"{period.zh()}党风廉政建设责任制落实情况：\n\n"
        "1. 签订党风廉政建设责任书，层层分解责任；\n"
        f"2. 开展廉政警示教育 {u.rng.randint(1, 3)} 次，组织观看警示教育片；\n"
        f"3. 排查廉政风险点 {u.rng.randint(5, 15)} 个，制定防控措施；\n"
        "4. 本期未发现违纪违规问题。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _ethics(u, entry, period, decided, title):
    body = (
        f"{period.zh()}，全体党员教师签订师德承诺书，遵守“五不准”师德规范；"
        f"开展师德专题学习 {u.rng.randint(1, 3)} 次，家长满意度测评 {u.rng.randint(95, 100)}%，"
        "未发现违反师德规范的问题。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _campus(u, entry, period, decided, title):
    body = (
        f"{period.zh()}与园务、校务公开衔接的事项：\n\n"
        f"- 收费项目和标准：按物价部门核定标准执行，本期无新增收费项目；\n"
        f"- 食堂伙食费收支：收入 {_money(u.rng.randint(80, 200) * 1000)} 元，全部用于伙食；\n"
        f"- 家长委员会会议 {u.rng.randint(1, 2)} 次，采纳建议 {u.rng.randint(2, 6)} 条。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _rectification(u, entry, period, decided, title):
    body = (
        f"{period.zh()}纠风工作和行风评议情况：开展行风评议 1 次，发放问卷 "
        f"{u.rng.randint(80, 200)} 份，满意率 {u.rng.randint(92, 99)}%；"
        f"整改群众反映的问题 {u.rng.randint(2, 6)} 个。\n\n{u.name}\n{d(decided)}\n"
    )
    return title, body


def _plan(u, entry, period, decided, title):
    body = (
        f"{period.zh()}工作计划落实情况和下一年度工作要点：\n\n"
        f"1. 年度目标任务 {u.rng.randint(8, 15)} 项，已完成 {u.rng.randint(7, 8)} 项重点工作；\n"
        "2. 党建工作与业务工作同部署、同考核；\n"
        f"3. 新一年将围绕“{u.rng.choice(['强基础、提质效', '抓党建、促发展', '优服务、惠民生'])}”"
        "开展工作。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _evaluation(u, entry, period, decided, title):
    total = u.members
    excellent = max(1, round(total * u.rng.uniform(0.12, 0.2)))
    basic = u.rng.randint(0, 1)
    names = u.people(min(excellent, 4))
    body = (
        f"根据上级党组织的统一部署，{u.short}于{d(decided)}召开党员大会，开展{period.zh()}"
        "民主评议党员工作。评议采取个人自评、党员互评、民主测评和组织评定相结合的方式进行。\n\n"
        f"| 评议等次 | 人数 |\n|---|---:|\n"
        f"| 优秀 | {excellent} |\n| 合格 | {total - excellent - basic} |\n"
        f"| 基本合格 | {basic} |\n| 不合格 | 0 |\n\n"
        f"评为优秀的党员：{'、'.join(names)}{'等' if excellent > len(names) else ''}。\n\n"
        "评议结果已记入党员档案，对基本合格的党员由党组织书记进行谈心谈话、限期改进。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return f"{period.zh()}民主评议党员结果", body


def _funds(u, entry, period, decided, title):
    budget = u.rng.randint(10, 60) * 1000
    body = (
        f"{period.zh()}党务工作经费预算 {_money(budget)} 元，实际支出 "
        f"{_money(budget * u.rng.uniform(0.8, 0.98))} 元，主要用于党员教育培训、主题党日活动"
        "和党务公开栏更新。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _rights(u, entry, period, decided, title):
    body = (
        f"{period.zh()}，{u.short}落实党员知情权、参与权、选举权和监督权：召开党员大会 "
        f"{u.rng.randint(4, 8)} 次，党员列席支委会 {u.rng.randint(2, 6)} 人次，"
        f"收到党员意见建议 {u.rng.randint(3, 12)} 条，均已答复。\n\n{u.name}\n{d(decided)}\n"
    )
    return title, body


def _life_meeting(u, entry, period, decided, title):
    issues = u.rng.randint(3, 7)
    body = (
        f"{u.short}于{d(decided - timedelta(days=u.rng.randint(5, 15)))}召开"
        f"{period.zh()}组织生活会（民主生活会），上级党组织派员列席指导。\n\n"
        f"会前广泛征求意见建议 {u.rng.randint(8, 25)} 条，班子成员开展谈心谈话；"
        f"会上查摆问题 {issues} 个，制定整改措施 {issues + u.rng.randint(1, 4)} 条。\n\n"
        "整改落实情况将按季度公开。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return f"{period.zh()}组织生活会召开及整改落实情况", body


def _assessment(u, entry, period, decided, title):
    body = (
        f"{period.zh()}考核采取个人述职、民主测评和组织评定相结合的方式，"
        f"评定优秀等次 {u.rng.randint(1, 3)} 人，其余均为称职（合格）等次。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _self_discipline(u, entry, period, decided, title):
    body = (
        f"{period.zh()}，领导班子成员严格执行廉洁自律规定，按时报告个人有关事项；"
        "公务用车、公务接待和办公用房均符合规定，未发现违规问题。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _frugality(u, entry, period, decided, title):
    body = (
        f"{period.zh()}“三公”经费支出 {_money(u.rng.randint(5, 40) * 1000)} 元，"
        f"比上年下降 {u.rng.randint(3, 15)}%；重大事项均经集体研究决定，无超标准开支。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


def _extension(u, entry, period, decided, title):
    body = (
        f"{period.zh()}{entry.titles['zh_Hans_CN']}：\n\n"
        f"- 开展项目 {u.rng.randint(3, 8)} 个，服务对象 {u.rng.randint(120, 900)} 人次；\n"
        f"- 组织专题培训 {u.rng.randint(2, 6)} 期；\n"
        "- 收费项目和标准按核定标准执行，无新增收费。\n\n"
        f"{u.name}\n{d(decided)}\n"
    )
    return title, body


PERIODIC = {
    "dues": _dues,
    "meetings": _meetings,
    "study": _study,
    "training": _training,
    "civilisation": _civilisation,
    "excellence": _excellence,
    "superior": _superior,
    "structure": _structure,
    "duties": _duties,
    "rules": _rules,
    "supervision": _supervision,
    "opinions": _opinions,
    "petitions": _petitions,
    "difficulties": _difficulties,
    "responsibility": _responsibility,
    "ethics": _ethics,
    "campus": _campus,
    "rectification": _rectification,
    "plan": _plan,
    "evaluation": _evaluation,
    "funds": _funds,
    "rights": _rights,
    "life_meeting": _life_meeting,
    "assessment": _assessment,
    "self_discipline": _self_discipline,
    "frugality": _frugality,
    "extension": _extension,
}


# --- event-driven items ----------------------------------------------------------------------


def notice_text(u: Unit, entry, decided: date, starts: date, days: int) -> Text:
    """A notice (公示) of an event-driven entry: candidates, new members, cadres, models."""
    topic = topic_of(entry.key)
    ends = starts + timedelta(days=days)
    period = f"公示期为 {days} 天（{d(starts)}至{d(ends)}）"
    contact = (
        f"公示期间，党员群众可通过来电、来信、来访或本页面的“提出异议”反映情况。"
        f"反映问题要实事求是，提倡署真实姓名。联系电话：{u.hotline}。"
    )
    if topic == "recruitment":
        names = u.people(2)
        rows = "\n".join(
            f"| {n} | {gender(n)} | {u.rng.randint(1988, 2002)}年{u.rng.randint(1, 12)}月 "
            f"| {u.rng.choice(['大学本科', '大专', '硕士研究生'])} "
            f"| {u.rng.randint(2022, 2025)}年 |"
            for n in names
        )
        title = f"关于拟确定{names[0]}等{len(names)}名同志为发展对象的公示"
        body = (
            f"经党小组推荐、{u.committee}{d(decided)}研究，拟确定以下同志为发展对象，现予公示：\n\n"
            f"| 姓名 | 性别 | 出生年月 | 学历 | 确定为入党积极分子时间 |\n|---|---|---|---|---|\n"
            f"{rows}\n\n{period}。{contact}\n\n{u.name}\n{d(starts)}\n"
        )
        en = f"Notice: {len(names)} candidates for Party membership"
    elif topic == "selection":
        name = u.people(1)[0]
        post = u.rng.choice(["办公室主任", "副科长", "业务股股长", "教研室主任", "分局副局长"])
        title = f"干部任前公示（{name}同志）"
        body = (
            f"经{d(decided)}{u.committee}研究，拟提任{name}同志为{post}，现予任前公示。\n\n"
            f"{name}，{gender(name)}，{u.rng.randint(1978, 1992)}年出生，"
            f"{u.rng.choice(['大学本科', '硕士研究生'])}学历，中共党员，现任{u.short}干部。\n\n"
            f"{period}。{contact}\n\n{u.name}\n{d(starts)}\n"
        )
        en = f"Pre-appointment notice: {post}"
    elif topic == "election":
        names = u.people(5)
        title = f"关于{u.short}换届选举委员候选人预备人选的公示"
        body = (
            f"根据上级党组织批复，{u.short}将召开党员大会进行换届选举。经党员推荐、"
            f"{u.committee}{d(decided)}研究，确定委员候选人预备人选 {len(names)} 名"
            f"（按姓氏笔画为序）：{'、'.join(sorted(names))}。\n\n{period}。{contact}\n\n"
            f"{u.name}\n{d(starts)}\n"
        )
        en = "Notice: candidates for the committee election"
    else:  # models, and any other entry published as a notice
        names = u.people(3)
        title = f"关于推荐{starts.year}年度优秀共产党员人选的公示"
        body = (
            f"经党员推荐、{u.committee}{d(decided)}研究，拟推荐{'、'.join(names)}同志为"
            f"{starts.year}年度优秀共产党员人选，现予公示。\n\n{period}。{contact}\n\n"
            f"{u.name}\n{d(starts)}\n"
        )
        en = f"Notice: outstanding Party members {starts.year}"
    return Text(title, body, en if entry.titles.get("en") else None)


def practical_project(u: Unit) -> str:
    pool = PRACTICAL.get(u.code.split("-")[0], ())
    pool = SECTOR_PRACTICAL.get(u.sector, pool) or ("为群众办实事",)
    return u.rng.choice(pool)


def event_text(u: Unit, entry, decided: date, *, project: str | None = None) -> Text:
    """A non-notice event item: practical matters, decisions, hot issues, discipline."""
    topic = topic_of(entry.key)
    if topic == "practical":
        project = project or practical_project(u)
        title = f"“我为群众办实事”项目：{project}"
        body = (
            f"经{d(decided)}{u.committee}研究，{u.short}将“{project}”列为本年度为民办实事项目。\n\n"
            f"- 责任人：{u.secretary}\n"
            f"- 完成时限：{d(decided + timedelta(days=u.rng.randint(30, 90)))}\n"
            f"- 经费：{_money(u.rng.randint(2, 30) * 1000)} 元\n\n"
            "项目进展情况将分阶段公开，欢迎党员群众监督。\n"
        )
        en = "Practical matters for the people"
    elif topic == "major":
        subject = u.rng.choice(
            [
                "年度党建工作要点",
                "办公场所维修改造项目",
                "干部职工培训计划",
                "年度预算安排",
                "设备采购项目",
            ]
        )
        title = f"关于{subject}的决策及执行情况"
        body = (
            f"{d(decided)}，{u.short}召开{u.committee}会议，应到 {u.rng.randint(5, 7)} 人，"
            f"实到全部委员，集体研究通过了《{subject}》。\n\n"
            "决策程序：调查研究→征求意见→集体讨论→表决通过。目前正按计划组织实施。\n"
        )
        en = "Decision on a major matter"
    elif topic == "hot_issues":
        title = "关于党员群众关心的职工食堂就餐问题的答复"
        body = (
            f"近期，部分党员群众通过意见箱反映职工食堂就餐高峰排队时间长。经{d(decided)}"
            "研究，决定增设一个取餐窗口，并错峰安排就餐时间，自下周一起实行。\n"
        )
        en = "Reply on a matter of concern"
    elif topic == "discipline":
        title = "违纪党员处理情况"
        body = f"{d(decided)}，{u.committee}研究了一名党员违反工作纪律问题的处理意见。\n"
        en = None
    else:
        title = f"{entry.titles['zh_Hans_CN']}（{d(decided)}）"
        body = f"根据上级党组织要求，现将{entry.titles['zh_Hans_CN']}公开如下。\n"
        en = None
    body = f"{body}\n{u.name}\n{d(decided)}\n"
    return Text(title, f"{body}{_footer(u)}\n", en if en and entry.titles.get("en") else None, None)


def amendment(u: Unit, topic: str, day: date) -> tuple[str, str]:
    """The paragraph an amendment adds, and its explanation."""
    if topic == "dues":
        books, visits = u.rng.randint(4, 12) * 100, u.rng.randint(6, 20) * 100
        return (
            f"**补充说明**（{d(day)}）：本期党费支出明细为：购买党员学习资料 {_money(books)} 元，"
            f"慰问困难党员和老党员 {_money(visits)} 元，其余用于党员教育培训。",
            "根据党员意见，补充公开本期党费支出明细。",
        )
    return (
        f"**补充说明**（{d(day)}）：各项工作的责任人为{u.secretary}同志，"
        "完成情况将在下一期一并公开。",
        "根据党员群众意见，补充公开相关工作的责任人和完成时限。",
    )
