"""Domain events ("this happened"), sent inside the unit of work that made them happen.

Kernel module. Earlier engine packages send; later ones (register, search, notifications)
connect receivers in their ``subscribers`` module, which the application imports at start-up. A
receiver's writes join the sender's transaction, so an event and its consequences commit (or roll
back) together. Receivers get the sender object plus keyword arguments; they return nothing.
Hooks, not events, are for anything that returns data or vetoes (see ``core.hookspecs``).
"""

from __future__ import annotations

from blinker import Namespace

events = Namespace()

workflow_step = events.signal("workflow-step")
"""``sender``: the object a workflow step just ran on (in its new state); ``workflow`` (the
workflow's name), ``transition``, ``source`` and ``target`` (states), ``actor``, ``inputs`` (the
step's inputs: comment, reason, explanation ...). Sent by the workflow engine for every step, so
that a package tells whoever the step hands the work to (its ``subscribers.py``)."""

item_published = events.signal("item-published")
"""``sender``: the Item; ``actor``, ``version``: the published ItemVersion."""
item_withheld = events.signal("item-withheld")
"""``sender``: the Item; ``actor``, ``reason``, ``filed_with``: the superior Organisation."""
item_amended = events.signal("item-amended")
"""``sender``: the Item; ``actor``, ``version``: the new current version, ``explanation``."""
item_revoked = events.signal("item-revoked")
"""``sender``: the Item; ``actor``, ``explanation``."""
item_closed = events.signal("item-closed")
"""``sender``: the Item; ``actor``."""
item_widened = events.signal("item-widened")
"""``sender``: the Item; its visible scope became its planned scope (internal first)."""
objection_lodged = events.signal("objection-lodged")
"""``sender``: the Objection just lodged; ``item``, ``actor`` (the signed-in objector or None)."""
objection_handled = events.signal("objection-handled")
"""``sender``: the Objection whose outcome was recorded; ``actor``."""
user_signed_in = events.signal("user-signed-in")
"""``sender``: the User who just signed in; ``method`` ("password", "oidc", ...), ``provider``
(the sign-in provider's name or None), ``carried``: a dict of the values the pre-sign-in session
held under :data:`tenants.signin.CARRY_OVER` keys (e.g. a pending invitation token)."""

# --- disclosure requests (依申请公开) -----------------------------------------------------------
request_submitted = events.signal("request-submitted")
"""``sender``: the DisclosureRequest (filed online or recorded by staff); ``actor``."""
request_extended = events.signal("request-extended")
"""``sender``: the DisclosureRequest; ``actor``, ``reason``; its new deadline is on the request."""
request_decided = events.signal("request-decided")
"""``sender``: the DisclosureRequest; ``actor``, ``outcome`` (a REQ-3 outcome code),
``filed_with``: the superior Organisation when the decision is filed with it (REQ-5), else None."""
request_escalated = events.signal("request-escalated")
"""``sender``: the DisclosureRequest; ``actor`` (the applicant), ``to_org``: the next level."""

# --- feedback ledger (意见建议台账) --------------------------------------------------------------
feedback_received = events.signal("feedback-received")
"""``sender``: the FeedbackEntry (online, or recorded by staff); ``actor`` (None if anonymous)."""
feedback_assigned = events.signal("feedback-assigned")
"""``sender``: the FeedbackEntry; ``actor``, ``handler``: the User, ``due``: a date."""
feedback_closed = events.signal("feedback-closed")
"""``sender``: the FeedbackEntry; ``actor``. Its answer (and rectification) are on the entry."""

# --- member evaluation (评议) -----------------------------------------------------------------
evaluation_opened = events.signal("evaluation-opened")
"""``sender``: the EvaluationRound; ``actor``."""
evaluation_published = events.signal("evaluation-published")
"""``sender``: the EvaluationRound; ``actor``."""

# --- the working-day calendar ----------------------------------------------------------------
workdays_year_missing = events.signal("workdays-year-missing")
"""``sender``: the year (int) a deadline reached that the calendar does not hold yet."""
workdays_year_loaded = events.signal("workdays-year-loaded")
"""``sender``: the year (int) whose official schedule was just loaded; ``actor``."""

# --- catalogues -----------------------------------------------------------------------------
catalogue_approved = events.signal("catalogue-approved")
"""``sender``: the CatalogueVersion just approved (or published, for a template); ``actor``.
It is effective from its ``effective_from`` day (CAT-1)."""
county_channel_changed = events.signal("county-channel-changed")
"""``sender``: a county's own channel (``CountyChannel``) added, renamed, retired, offered again
or deleted; ``actor``. Public pages that name it show the new words."""

# --- supervision (监督检查) -------------------------------------------------------------------
inspection_recorded = events.signal("inspection-recorded")
"""``sender``: the Inspection just recorded (planned or ad hoc); ``actor``."""
finding_raised = events.signal("finding-raised")
"""``sender``: the Finding (of an inspection, or a confirmed flag); ``actor``."""
finding_answered = events.signal("finding-answered")
"""``sender``: the Finding the responsible unit answered with its rectification; ``actor``."""
finding_decided = events.signal("finding-decided")
"""``sender``: the Finding; ``actor``, ``decision``: "closed" or "reopened"."""
# --- half-year reports, assessments, campaigns (RPT-1, SUP-3, RPT-2) --------------------------
report_submitted = events.signal("report-submitted")
"""``sender``: the HalfYearReport just submitted to the superior; ``actor``."""
report_decided = events.signal("report-decided")
"""``sender``: the HalfYearReport; ``actor``, ``decision`` ("accepted" or "returned"),
``comment`` (the superior's comment on a returned report, else None)."""
assessment_opened = events.signal("assessment-opened")
"""``sender``: the AssessmentScheme whose units may now assess themselves; ``actor``."""
assessment_self_assessed = events.signal("assessment-self-assessed")
"""``sender``: the AssessmentSheet a unit just submitted to its superior; ``actor``."""
assessment_returned = events.signal("assessment-returned")
"""``sender``: the AssessmentSheet returned to its unit; ``actor``, ``comment``."""
assessment_published = events.signal("assessment-published")
"""``sender``: the AssessmentScheme whose results were just published; ``actor``."""
campaign_started = events.signal("campaign-started")
"""``sender``: the Campaign; ``actor``."""
campaign_reminded = events.signal("campaign-reminded")
"""``sender``: the Campaign; ``actor`` (None for the sweep), ``stage``: the CampaignStage,
``units``: the Organisations that have not completed it."""
appearance_changed = events.signal("appearance-changed")
"""``sender``: the CountyAppearance just changed (its ``org_id`` is the county): every page of
the county's subtree shows the new branding."""
