"""The declarative workflow engine shared by every stateful object.

A :class:`Workflow` is data: states, and :class:`Transition` s with the roles that may run them
(in the unit, or in a superior), the inputs they require (comment, reason, explanation), guards,
the jobs they enqueue, and an optional per-organisation variant condition. :func:`run` checks all of
that before it changes anything, then — in the caller's transaction — changes the state, appends
the object's history, writes the audit entry, lets plugins react and enqueues the jobs. A refused
transition raises :class:`TransitionRefused` and leaves nothing but its error.
"""

from core.workflow.engine import (
    Transition,
    TransitionRefused,
    Workflow,
    allowed_transitions,
    history,
    run,
)

__all__ = [
    "Transition",
    "TransitionRefused",
    "Workflow",
    "allowed_transitions",
    "history",
    "run",
]
