from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context, has_request_context, request
from flask_babel import gettext
from sqlalchemy import inspect, select

from core import audit, audit_labels, db, events, jobs, permissions
from core.errors import UserError
from core.i18n import _, lazily
from core.workflow.models import WorkflowStep
from tenants.roles import either

Guard = Callable[..., str | None]
"""``guard(obj, actor=..., inputs=..., org=...)`` returns a refusal message, or None to allow."""

DECISIONS = "gongkai.workflow_decisions"
"""Where :func:`may_start` keeps the request's decisions (the request's environ: one request)."""

NEEDS = {
    "comment": _("This step needs a comment."),
    "reason": _("This step needs a reason."),
    "explanation": _("This step needs an explanation."),
}
"""What a step says when a required input is missing (an input not listed: :data:`NEEDS_ANY`)."""
NEEDS_ANY = _("This step needs more information: fill in every required field.")


WORKFLOWS: dict[str, Workflow] = {}
"""Every workflow by its name (each registers itself when it is made)."""


def step_label(object_type: str, name: str) -> str:
    """The label of step ``name`` of a workflow of objects ``object_type`` (a register entry or
    an audit record knows both), in the reader's language; the name if none has it."""
    for workflow in WORKFLOWS.values():
        if workflow.object_type == object_type and name in workflow.transitions:
            return workflow.label(name)
    for workflow in WORKFLOWS.values():  # a step recorded under another object type
        if name in workflow.transitions:
            return workflow.label(name)
    return name


def state_label(object_type: str, state: str | None) -> str:
    """State ``state`` of an object ``object_type`` (``item``, ``feedback`` …) in the reader's
    language, from the labels of its workflow; the code itself if none has one."""
    for workflow in WORKFLOWS.values():
        if workflow.object_type == object_type and state in workflow.state_labels:
            return workflow.state_label(state)
    return str(state or "")


class SystemActor:
    """The actor of scheduled jobs; it may run only transitions that list the role "system"."""

    id = None
    username = "system"
    display_name = "system"
    is_authenticated = False
    is_platform_admin = False
    is_system = True  # core.permissions: may run the actions registered with system=True

    def __repr__(self) -> str:
        return "<system>"


SYSTEM = SystemActor()


class TransitionRefused(UserError):
    """The transition was not run; the message says why. Nothing was changed."""

    status = 409


@dataclass(frozen=True)
class Transition:
    name: str
    source: tuple[str, ...]
    target: str
    roles: frozenset[str]
    where: str = "unit"  # unit | superior | unit_or_superior (see core.permissions)
    requires: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = ()
    jobs: tuple[str, ...] = ()
    enabled_if: Callable[[Any], bool] | None = None  # variant: org -> bool
    label: Any = None


@dataclass
class Workflow:
    name: str
    object_type: str
    states: tuple[str, ...]
    initial: str
    transitions: dict[str, Transition] = field(default_factory=dict)
    state_attr: str = "state"
    state_labels: dict[str, Any] = field(default_factory=dict)
    """``{state: label}`` (lazy translations) for the messages of the engine and the pages."""

    def __post_init__(self):
        if self.initial not in self.states:
            raise ValueError(f"{self.name}: initial state {self.initial!r} is not a state")
        WORKFLOWS[self.name] = self

    def add(self, name: str, source, target: str, roles, **kwargs) -> Transition:
        source = (source,) if isinstance(source, str) else tuple(source)
        for state in (*source, target):
            if state not in self.states:
                raise ValueError(f"{self.name}.{name}: unknown state {state!r}")
        transition = Transition(name, source, target, frozenset(roles), **kwargs)
        self.transitions[name] = transition
        # the audit entry of the step (``<workflow>.<step>``) in words: "Item: Approve"
        audit_labels.register("actions", f"{self.name}.{name}", lazily(self._audit_label, name))
        return transition

    def _audit_label(self, name: str) -> str:
        return gettext(
            "%(object)s: %(step)s",
            object=audit_labels.object_type(self.object_type),
            step=self.label(name),
        )

    def label(self, name: str) -> str:
        """The label of transition ``name`` in the reader's language (its name if it has none:
        ``tests/test_words.py`` requires one for every transition)."""
        t = self.transitions.get(name)
        return str(t.label) if t is not None and t.label else name

    def state_label(self, state: str | None) -> str:
        """State ``state`` in the reader's language (its code if it has no label)."""
        label = self.state_labels.get(state)
        return str(label) if label else str(state or "")

    def transition(self, name: str) -> Transition:
        try:
            return self.transitions[name]
        except KeyError:
            raise TransitionRefused(_("This step does not exist.")) from None


def _org_of(obj) -> Any:
    return obj.organisation


def _relay(org):
    if not has_app_context():
        return None
    plugins = current_app.extensions.get("gongkai.plugins")
    return plugins.relay(org) if plugins is not None else None


def _actor_key(actor) -> Any:
    if permissions.is_system(actor):
        return "system"
    return getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None


def may_start(workflow: Workflow, obj, name: str, *, actor) -> bool:
    """May ``actor`` run step ``name`` on ``obj`` at all, whatever its state and inputs? The roles
    the transition lists, the limits of the request (an API token) and the enabled plugins'
    ``permission_decision`` (:func:`core.permissions.may_run`).

    Decided once per request for an object in a state: a view that asks which steps to offer,
    or whether to answer 403, and the run that follows share the one decision, so that a plugin
    is asked once per click (:func:`core.permissions.forget_roles` forgets it with the roles)."""
    transition = workflow.transition(name)
    org = _org_of(obj)
    key = (
        workflow.name, name, workflow.object_type, getattr(obj, "id", None),
        getattr(obj, workflow.state_attr), _actor_key(actor),
    )  # fmt: skip
    memo = request.environ.setdefault(DECISIONS, {}) if has_request_context() else None
    if memo is not None and key[3] is not None and key in memo:
        return memo[key]
    decided = permissions.may_run(actor, workflow.name, transition, obj, org=org)
    if memo is not None and key[3] is not None:
        memo[key] = decided
    return decided


def check(
    workflow: Workflow, obj, name: str, *, actor, inputs: dict[str, Any] | None = None
) -> list[str]:
    """Every reason why ``actor`` may not run ``name`` on ``obj`` now (empty: allowed).

    In this order: the state and the organisation's variant; who may (:func:`may_start`) and the
    inputs the step requires; then the transition's own guards; and only when those passed, the
    enabled plugins' ``workflow_guard`` (as ``plugins/README.md`` documents)."""
    inputs = inputs or {}
    transition = workflow.transition(name)
    org = _org_of(obj)
    state = getattr(obj, workflow.state_attr)
    if state not in transition.source:
        return [
            _(
                "This step is not possible now: it is %(state)s.",
                state=lazily(workflow.state_label, state),
            )
        ]
    if transition.enabled_if is not None and not transition.enabled_if(org):
        return [_("This step is not part of this organisation's workflow.")]
    problems = []
    if not may_start(workflow, obj, name, actor=actor):
        problems.append(_refusal(actor, transition, org))
    for key in transition.requires:
        if not str(inputs.get(key) or "").strip():
            problems.append(NEEDS.get(key, NEEDS_ANY))
    if problems:
        return problems
    for guard in transition.guards:
        message = guard(obj, actor=actor, inputs=inputs, org=org)
        if message:
            problems.append(message)
    if problems:
        return problems
    relay = _relay(org)
    if relay is not None:
        for batch in relay.workflow_guard(
            org=org, workflow=workflow.name, transition=name, obj=obj, actor=actor, inputs=inputs
        ):
            problems.extend(batch or [])
    return problems


def _refusal(actor, transition: Transition, org):
    """Why :func:`core.permissions.may_run` said no: the roles, else a veto (plugin, token)."""
    if permissions.is_system(actor):
        if "system" not in transition.roles:
            return _("This step needs a person; a scheduled job cannot do it.")
        return _("This step is not allowed here.")
    if permissions.holds(actor, org, transition.roles, transition.where):
        return _("You are not allowed to do this here.")
    roles = lazily(either, transition.roles - {"system"})
    if transition.where == "superior":
        return _(
            "Only a person with the role %(roles)s in a superior organisation may do this.",
            roles=roles,
        )
    if transition.where == "unit_or_superior":
        return _(
            "Only a person with the role %(roles)s in this unit or a superior organisation may "
            "do this.",
            roles=roles,
        )
    return _("Only a person with the role %(roles)s in this unit may do this.", roles=roles)


def allowed_transitions(workflow: Workflow, obj, *, actor) -> list[Transition]:
    """Transitions ``actor`` could run now, before inputs are given (for buttons in the console):
    the views ask the engine which steps to offer (:func:`may_start`, decided once)."""
    org = _org_of(obj)
    state = getattr(obj, workflow.state_attr)
    out = []
    for t in workflow.transitions.values():
        enabled = t.enabled_if is None or t.enabled_if(org)
        if state in t.source and enabled and may_start(workflow, obj, t.name, actor=actor):
            out.append(t)
    return out


def _lock(workflow: Workflow, obj) -> None:
    """Lock ``obj``'s row until the transaction ends and refuse if its state in the database
    is no longer the one this transaction read: two transitions at once (a scheduled job and
    the sweep publishing the same item, a form sent twice) run one after the other, and the
    second one sees what the first one did instead of doing it again. (SQLite: writers are
    serialised by their ``BEGIN IMMEDIATE`` already.)"""
    state = inspect(obj)
    if state.identity is None:  # not stored yet: nobody else can see it
        return
    column = getattr(type(obj), workflow.state_attr)
    key = state.mapper.primary_key[0]
    db.session.flush()  # an earlier step of this same transaction is this transaction's own
    stored = db.session.execute(
        select(column).where(key == state.identity[0]).with_for_update(of=state.mapper.local_table)
    ).scalar_one_or_none()
    current = getattr(obj, workflow.state_attr)
    if stored != current:
        raise TransitionRefused(
            _("The action was refused."),
            problems=[
                _(
                    "It was changed meanwhile (from “%(current)s” to “%(stored)s”): reload the "
                    "page.",
                    current=workflow.state_label(current),
                    stored=workflow.state_label(stored),
                )
            ],
        )


def run(
    workflow: Workflow,
    obj,
    name: str,
    *,
    actor,
    inputs: dict[str, Any] | None = None,
    effect: Callable[[Any], None] | None = None,
    validate: Callable[[Any], None] | None = None,
) -> WorkflowStep:
    """Run transition ``name`` on ``obj`` in the current unit of work (the caller commits).

    The step is checked here, once (:func:`check`). ``validate(obj)`` is the operation's own
    check of the object, run only when the engine allows the step and before anything changes
    (it raises a ``UserError`` to refuse). ``effect(obj)`` makes the transition's own changes
    (e.g. set the effective date); it runs after every check passed, inside a savepoint, so a
    failing effect leaves nothing behind.
    """
    inputs = {k: v for k, v in (inputs or {}).items() if v not in (None, "")}
    _lock(workflow, obj)
    problems = check(workflow, obj, name, actor=actor, inputs=inputs)
    if problems:
        raise TransitionRefused(_("The step was refused."), problems=problems)
    if validate is not None:
        validate(obj)
    transition = workflow.transitions[name]
    org = _org_of(obj)
    source = getattr(obj, workflow.state_attr)
    with db.session.begin_nested():
        setattr(obj, workflow.state_attr, transition.target)
        if effect is not None:
            effect(obj)
        step = WorkflowStep(
            workflow=workflow.name,
            object_type=workflow.object_type,
            object_id=obj.id,
            org_id=org.id,
            transition=name,
            from_state=source,
            to_state=transition.target,
            actor_id=getattr(actor, "id", None),
            actor_label=getattr(actor, "username", "system"),
            inputs={k: str(v) for k, v in inputs.items()},
        )
        db.session.add(step)
        db.session.flush()
        audit.log(
            f"{workflow.name}.{name}",
            workflow.object_type,
            obj.id,
            org_id=org.id,
            actor=actor,
            changes={
                "state": [source, transition.target],
                **{k: [None, str(v)] for k, v in inputs.items()},
            },
        )
        relay = _relay(org)
        if relay is not None:
            relay.workflow_transitioned(
                org=org, workflow=workflow.name, transition=name, obj=obj, actor=actor
            )
        for job in transition.jobs:
            jobs.enqueue(job, workflow.object_type, obj.id, org_id=org.id)
    events.workflow_step.send(
        obj, workflow=workflow.name, transition=name, source=source,
        target=transition.target, actor=actor, inputs=inputs,
    )  # fmt: skip
    return step


def history(workflow: Workflow, obj) -> list[WorkflowStep]:
    return list(
        db.session.scalars(
            select(WorkflowStep)
            .where(
                WorkflowStep.object_type == workflow.object_type, WorkflowStep.object_id == obj.id
            )
            .order_by(WorkflowStep.id)
        )
    )
