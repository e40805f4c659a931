"""Disclosure on request (依申请公开): filing, the workflow with its deadlines in working days,
third-party consultation, filing with the superior and escalation (docs/rules.md REQ-1..REQ-5)."""
