"""Supervision (监督检查, SUP-1 and SUP-2): inspections with findings, and the automatic flags.

* Superiors and appointed supervisors (the role ``supervisor``, held in a unit or in a superior
  for its whole subtree) read everything of their subtree that the unit's staff read — the
  ``unit_or_superior`` read actions of :mod:`core.permissions` name them (SUP-1).
* An organisation records **inspections** (planned or ad hoc) of itself or of units below it;
  each **finding** names the unit responsible for its rectification and a deadline; the unit
  answers with its rectification, the inspecting organisation closes or reopens it. Overdue
  findings are shown and reminded.
* **Automatic flags** (SUP-2), raised by a sweep, idempotently: expected disclosures due and not
  made (应公开未公开), corrections of false content, late answers to requests and feedback,
  attempts to close a notice early, secrecy incidents (revocations for secrecy). A superior
  confirms a flag — it becomes a finding — or dismisses it with a reason.
"""
