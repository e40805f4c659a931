"""The declarative workflow engine shared by every stateful object.

A :class:`Workflow` is data: states, and :class:`Transition` s with the roles that may run them
(in the unit, or in a superior), the inputs they require (comment, reason, explanation), guards,
the jobs they enqueue, and an optional per-organisation variant condition. :func:`run` checks all of
that before it changes anything, then — in the caller's transaction — changes the state, appends
the object's history, writes the audit entry, lets plugins react and enqueues the jobs. A refused
transition raises :class:`TransitionRefused` and leaves nothing but its error.

The engine is the one place that decides a step: views ask it which steps to offer and whether
the user may start one (:func:`allowed_transitions`, :func:`may_start`); the operation runs it
(:func:`run`), and the decision on the actor is taken once per request.
"""

from core.workflow.engine import (
    Transition,
    TransitionRefused,
    Workflow,
    allowed_transitions,
    history,
    may_start,
    run,
)

__all__ = [
    "Transition",
    "TransitionRefused",
    "Workflow",
    "allowed_transitions",
    "history",
    "may_start",
    "run",
]
