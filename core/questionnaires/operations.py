"""Questionnaire operations: the only code that changes questionnaires and stores answers.

A unit's admin or editor drafts a questionnaire (:func:`create`, :func:`update`: a draft only —
an open questionnaire keeps its questions), opens it for a period (:func:`open_questionnaire`),
may close it early (:func:`close`; the sweep :func:`close_due` closes it once its last day is
over) and publishes its results (:func:`publish`). Every step is audited (the workflow writes the
entries of the steps). A visitor answers once per address (:func:`answer`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select

from core import audit, db, localtime, permissions
from core import problem as problems_
from core.config import SUPPORTED_LOCALES
from core.errors import Problem, UserError
from core.i18n import _
from core.questionnaires import workflow as wf
from core.questionnaires.models import (
    KINDS,
    MAX_INTRO,
    MAX_OPTION,
    MAX_OPTIONS,
    MAX_PERIOD_DAYS,
    MAX_QUESTION,
    MAX_QUESTIONS,
    MAX_TEXT_ANSWER,
    MAX_TITLE,
    MIN_OPTIONS,
    MIN_QUESTIONS,
    Questionnaire,
    QuestionnaireRespondent,
    QuestionnaireResponse,
)
from core.workflow import engine
from core.workflow.engine import SYSTEM
from tenants.models import Organisation

SUBMIT_LIMIT = "10 per hour;3 per minute"
"""Answers sent from one address (to any questionnaire), beyond which a visitor waits."""

PUBLIC_STATES = ("open", "published")

today = localtime.today


class AlreadyAnswered(UserError):
    status = 409


class NotAccepting(UserError):
    status = 409


# --- reading ---------------------------------------------------------------------------------


def get(org: Organisation, questionnaire_id: int) -> Questionnaire | None:
    """The questionnaire ``questionnaire_id`` of ``org`` (None for another organisation's)."""
    found = db.session.get(Questionnaire, questionnaire_id)
    return found if found is not None and found.org_id == org.id else None


def of(org: Organisation) -> list[Questionnaire]:
    """``org``'s questionnaires, newest first (the console's list)."""
    return list(
        db.session.scalars(
            select(Questionnaire)
            .where(Questionnaire.org_id == org.id)
            .order_by(Questionnaire.created_at.desc(), Questionnaire.id.desc())
        )
    )


def public(org: Organisation) -> list[Questionnaire]:
    """What visitors see of ``org``: the open questionnaires and those with published results."""
    return list(
        db.session.scalars(
            select(Questionnaire)
            .where(Questionnaire.org_id == org.id, Questionnaire.state.in_(PUBLIC_STATES))
            .order_by(Questionnaire.state, Questionnaire.opens_on.desc(), Questionnaire.id.desc())
        )
    )


def response_counts(ids: list[int]) -> dict[int, int]:
    """``{questionnaire id: responses}`` (one query)."""
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(QuestionnaireResponse.questionnaire_id, func.count())
            .where(QuestionnaireResponse.questionnaire_id.in_(ids))
            .group_by(QuestionnaireResponse.questionnaire_id)
        ).all()
    )


def accepting(questionnaire: Questionnaire, on: date | None = None) -> bool:
    """True while visitors may answer: open, and within its period."""
    if questionnaire.state != "open" or questionnaire.opens_on is None:
        return False
    on = on or today(questionnaire.organisation)
    return questionnaire.opens_on <= on <= questionnaire.closes_on


def history(questionnaire: Questionnaire):
    return engine.history(wf.questionnaire, questionnaire)


# --- the questionnaire -----------------------------------------------------------------------


def _texts(value: Any, name: str, limit: int, problems: list, *, required: bool) -> dict:
    if isinstance(value, str):
        value = {"zh_Hans_CN": value}
    out: dict[str, str] = {}
    for loc, text in (value or {}).items() if isinstance(value, dict) else ():
        if loc not in SUPPORTED_LOCALES:
            problems.append(problems_.unknown_language(f"{name}.{loc}"))
            continue
        text = str(text or "").replace("\r\n", "\n").strip()
        if len(text) > limit:
            problems.append(problems_.too_long(f"{name}.{loc}", limit))
        elif text:
            out[loc] = text
    if required and not out.get("zh_Hans_CN"):
        problems.append(problems_.chinese_required(f"{name}.zh_Hans_CN"))
    return out


def _question(n: int, raw: Any, problems: list) -> dict[str, Any] | None:
    name = f"q{n}"
    if not isinstance(raw, dict):
        problems.append(Problem(name, _("Question %(n)s is not understood.", n=n)))
        return None
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(Problem(f"{name}.kind", _("Choose the kind of question %(n)s.", n=n)))
    before = len(problems)
    texts = _texts(raw.get("texts"), f"{name}.text", MAX_QUESTION, problems, required=True)
    if len(problems) > before and not texts.get("zh_Hans_CN"):
        problems[-1] = Problem(f"{name}.text", _("Write question %(n)s in Chinese.", n=n))
    options = []
    raw_options = raw.get("options") or []
    if kind == "text":
        if raw_options:
            problems.append(
                Problem(
                    f"{name}.options",
                    _("Question %(n)s takes a free-text answer: leave its options empty.", n=n),
                )
            )
    elif kind in KINDS:
        if not (MIN_OPTIONS <= len(raw_options) <= MAX_OPTIONS):
            problems.append(
                Problem(
                    f"{name}.options",
                    _(
                        "Question %(n)s needs from %(low)s to %(high)s options (it has %(count)s).",
                        n=n,
                        low=MIN_OPTIONS,
                        high=MAX_OPTIONS,
                        count=len(raw_options),
                    ),
                )
            )
        for m, option in enumerate(raw_options[:MAX_OPTIONS], start=1):
            labels = option.get("labels") if isinstance(option, dict) else option
            sub: list = []
            labels = _texts(labels, f"{name}.options", MAX_OPTION, sub, required=True)
            if sub:
                problems.append(
                    Problem(
                        f"{name}.options",
                        _(
                            "Option %(m)s of question %(n)s needs a Chinese text of at most "
                            "%(limit)s characters.",
                            m=m,
                            n=n,
                            limit=MAX_OPTION,
                        ),
                    )
                )
            options.append({"key": f"o{m}", "labels": labels})
        seen = [o["labels"].get("zh_Hans_CN") for o in options]
        if len(set(seen)) != len(seen):
            problems.append(
                Problem(f"{name}.options", _("Question %(n)s has the same option twice.", n=n))
            )
    return {"key": name, "kind": kind, "texts": texts, "options": options}


def clean(data: dict[str, Any]) -> tuple[dict[str, Any], list]:
    """The questionnaire's fields from ``data`` (``titles``, ``intros``, ``questions``) and what
    is wrong with them."""
    problems: list = []
    fields: dict[str, Any] = {
        "titles": _texts(data.get("titles"), "title", MAX_TITLE, problems, required=True),
        "intros": _texts(data.get("intros"), "intro", MAX_INTRO, problems, required=False),
    }
    raw = data.get("questions") or []
    if not isinstance(raw, list):
        raw = []
    if not (MIN_QUESTIONS <= len(raw) <= MAX_QUESTIONS):
        problems.append(
            Problem(
                "questions",
                _(
                    "A questionnaire has from %(low)s to %(high)s questions (this one has "
                    "%(count)s).",
                    low=MIN_QUESTIONS,
                    high=MAX_QUESTIONS,
                    count=len(raw),
                ),
            )
        )
    questions = [_question(n, q, problems) for n, q in enumerate(raw[:MAX_QUESTIONS], start=1)]
    fields["questions"] = [q for q in questions if q is not None]
    return fields, problems


def _require_manager(actor, org: Organisation) -> None:
    if not permissions.may(actor, "questionnaires.manage", org):
        raise UserError(_("Only an admin or editor of this unit may manage its questionnaires."))


def _snapshot(q: Questionnaire) -> dict[str, Any]:
    return {"titles": q.titles, "intros": q.intros, "questions": q.questions}


def create(org: Organisation, data: dict[str, Any], *, actor) -> Questionnaire:
    """A new questionnaire in ``draft``."""
    _require_manager(actor, org)
    fields, problems = clean(data)
    if problems:
        raise UserError(_("The questionnaire was not saved."), problems=problems)
    q = Questionnaire(org_id=org.id, state="draft", created_by_id=getattr(actor, "id", None),
                      **fields)  # fmt: skip
    db.session.add(q)
    db.session.flush()
    audit.log(
        "questionnaire.create",
        "questionnaire",
        q.id,
        org_id=org.id,
        actor=actor,
        changes={k: [None, v] for k, v in _snapshot(q).items()},
    )
    return q


def update(q: Questionnaire, data: dict[str, Any], *, actor) -> bool:
    """Change a draft (an open questionnaire keeps its questions); False when nothing changed."""
    _require_manager(actor, q.organisation)
    if q.state != "draft":
        raise UserError(
            _("Only a draft can be changed: an open questionnaire keeps its questions.")
        )
    fields, problems = clean(data)
    if problems:
        raise UserError(_("The questionnaire was not saved."), problems=problems)
    before = _snapshot(q)
    for name, value in fields.items():
        setattr(q, name, value)
    changes = audit.diff(before, _snapshot(q))
    if not changes:
        return False
    db.session.flush()
    audit.log("questionnaire.update", "questionnaire", q.id, org_id=q.org_id, actor=actor,
              changes=changes)  # fmt: skip
    return True


def period_problems(org: Organisation, opens_on: date | None, closes_on: date | None) -> list:
    problems: list = []
    if opens_on is None:
        problems.append(Problem("opens_on", _("Give the first day of answering.")))
    elif opens_on < today(org):
        problems.append(Problem("opens_on", _("The first day cannot be earlier than today.")))
    if closes_on is None:
        problems.append(Problem("closes_on", _("Give the last day of answering.")))
    elif opens_on is not None:
        if closes_on <= opens_on:
            problems.append(Problem("closes_on", _("The last day comes after the first day.")))
        elif closes_on - opens_on > timedelta(days=MAX_PERIOD_DAYS):
            problems.append(
                Problem(
                    "closes_on",
                    _(
                        "A questionnaire is open for at most %(days)s days: the last day is at "
                        "the latest %(date)s.",
                        days=MAX_PERIOD_DAYS,
                        date=(opens_on + timedelta(days=MAX_PERIOD_DAYS)).isoformat(),
                    ),
                )
            )
    return problems


def open_questionnaire(
    q: Questionnaire, *, opens_on: date | None, closes_on: date | None, actor
) -> Questionnaire:
    """Open a draft from ``opens_on`` to ``closes_on`` (both answering days; the last day after
    the first, at most :data:`MAX_PERIOD_DAYS` days later)."""

    def validate(obj: Questionnaire) -> None:
        problems = period_problems(obj.organisation, opens_on, closes_on)
        if not obj.questions:
            problems.append(Problem("questions", _("The questionnaire has no question yet.")))
        if problems:
            raise UserError(_("The questionnaire was not opened."), problems=problems)

    def effect(obj: Questionnaire) -> None:
        obj.opens_on, obj.closes_on = opens_on, closes_on
        obj.opened_at = db.utcnow()

    inputs = {"opens_on": opens_on.isoformat() if opens_on else None,
              "closes_on": closes_on.isoformat() if closes_on else None}  # fmt: skip
    engine.run(wf.questionnaire, q, "open", actor=actor, inputs=inputs, validate=validate,
               effect=effect)  # fmt: skip
    return q


def close(q: Questionnaire, *, actor=SYSTEM) -> Questionnaire:
    """Close an open questionnaire (early, by hand; or the sweep at the end of its period)."""

    def effect(obj: Questionnaire) -> None:
        obj.closed_at = db.utcnow()

    engine.run(wf.questionnaire, q, "close", actor=actor, effect=effect)
    return q


def publish(q: Questionnaire, *, actor) -> Questionnaire:
    """Publish a closed questionnaire's aggregated results (never its free-text answers)."""

    def effect(obj: Questionnaire) -> None:
        obj.published_at = db.utcnow()

    engine.run(wf.questionnaire, q, "publish", actor=actor, effect=effect)
    return q


def close_due() -> int:
    """Sweep: close every open questionnaire whose last day is over in its unit's time zone."""
    count = 0
    found = db.session.scalars(
        select(Questionnaire).where(Questionnaire.state == "open").order_by(Questionnaire.id)
    ).all()
    for q in found:
        if q.closes_on is not None and q.closes_on < today(q.organisation):
            close(q)
            count += 1
    return count


# --- answers ---------------------------------------------------------------------------------


def address_hash(q: Questionnaire, address: str) -> str:
    """The keyed hash of ``address`` for ``q`` (the address itself is never stored): HMAC-SHA256
    with the application's secret, over the questionnaire's id and the address, so that the
    hashes of one address in two questionnaires differ."""
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    message = f"questionnaire:{q.id}:{address.strip().lower()}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: Any) -> str:
    """A visitor's free text: line ends made LF, control and direction characters removed."""
    return CONTROL.sub("", str(value or "").replace("\r\n", "\n")).strip()


def clean_answers(q: Questionnaire, answers: dict[str, Any]) -> tuple[dict[str, Any], list]:
    problems: list = []
    out: dict[str, Any] = {}
    answers = answers or {}
    for question in q.questions or []:
        key, kind = question["key"], question["kind"]
        keys = [o["key"] for o in question.get("options") or []]
        value = answers.get(key)
        if kind == "multiple" and isinstance(value, str):
            value = [value]
        if kind == "single":
            if value not in keys:
                problems.append(Problem(f"a_{key}", _("Choose one option.")))
            else:
                out[key] = value
        elif kind == "multiple":
            chosen = [v for v in keys if v in (value or [])]
            if not chosen or len(chosen) != len(set(value or [])):
                problems.append(Problem(f"a_{key}", _("Choose at least one answer.")))
            else:
                out[key] = chosen
        else:
            text = clean_text(value)
            if len(text) > MAX_TEXT_ANSWER:
                problems.append(problems_.too_long(f"a_{key}", MAX_TEXT_ANSWER))
            elif text:
                out[key] = text
    return out, problems


def answer(q: Questionnaire, answers: dict[str, Any], *, address: str) -> None:
    """One visitor's answers to ``q``: once per address (only its keyed hash is kept, apart
    from the answers). Refused when ``q`` does not take answers now, or this address answered."""
    if not accepting(q):
        raise NotAccepting(_("This questionnaire does not take answers now."))
    out, problems = clean_answers(q, answers)
    if problems:
        raise UserError(_("Your answers were not sent."), problems=problems)
    digest = address_hash(q, address)
    taken = db.session.scalar(
        select(func.count()).where(
            QuestionnaireRespondent.questionnaire_id == q.id,
            QuestionnaireRespondent.address_hash == digest,
        )
    )
    refusal = _("Answers from your address were already received: each address answers once.")
    if taken:
        raise AlreadyAnswered(refusal)
    try:  # two requests at once: the unique key keeps one
        with db.session.begin_nested():
            db.session.add(
                QuestionnaireRespondent(questionnaire_id=q.id, org_id=q.org_id, address_hash=digest)
            )
            db.session.flush()
    except sa_exc.IntegrityError:
        raise AlreadyAnswered(refusal) from None
    db.session.add(QuestionnaireResponse(questionnaire_id=q.id, org_id=q.org_id, answers=out))
    db.session.flush()


# --- results ---------------------------------------------------------------------------------


@dataclass
class OptionTally:
    key: str
    labels: dict[str, str]
    count: int
    share: float | None  # of the responses that answered the question


@dataclass
class QuestionResult:
    key: str
    kind: str
    texts: dict[str, str]
    answered: int
    options: list[OptionTally] = field(default_factory=list)
    texts_given: list[str] = field(default_factory=list)  # the console's only


@dataclass
class Results:
    responses: int
    questions: list[QuestionResult]


def results(q: Questionnaire, *, with_texts: bool = False) -> Results:
    """Counts and shares per option; free-text answers counted (and, ``with_texts``, listed for
    the console, in no telling order). One query."""
    rows = db.session.scalars(
        select(QuestionnaireResponse.answers).where(QuestionnaireResponse.questionnaire_id == q.id)
    ).all()
    counts: dict[str, Counter] = {qq["key"]: Counter() for qq in q.questions or []}
    answered: Counter = Counter()
    texts: dict[str, list[str]] = {qq["key"]: [] for qq in q.questions or []}
    for answers in rows:
        for question in q.questions or []:
            key = question["key"]
            value = (answers or {}).get(key)
            if value in (None, "", []):
                continue
            answered[key] += 1
            if question["kind"] == "text":
                texts[key].append(str(value))
            elif isinstance(value, list):
                counts[key].update(value)
            else:
                counts[key][value] += 1
    out = []
    for question in q.questions or []:
        key = question["key"]
        total = answered[key]
        tallies = [
            OptionTally(
                o["key"],
                o.get("labels") or {},
                counts[key][o["key"]],
                counts[key][o["key"]] / total if total else None,
            )
            for o in question.get("options") or []
        ]
        out.append(
            QuestionResult(
                key,
                question["kind"],
                question.get("texts") or {},
                total,
                tallies,
                sorted(texts[key]) if with_texts else [],
            )
        )
    return Results(len(rows), out)
