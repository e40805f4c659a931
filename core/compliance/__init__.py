"""Compliance at a glance (``/admin/o/<code>/compliance``): every unit of a subtree in one table,
for the superior that supervises it (SUP-1, CAT-5).

One row per unit (any level, the organisation itself included): its catalogue, the disclosure
and on-time rates of the period, overdue and late disclosures, items waiting for approval,
filings not acknowledged, feedback and requests past their dates, member satisfaction, open
findings — and a state (on track, attention, behind) from thresholds that are policy parameters.
Columns come from a registry (:mod:`core.compliance.columns`): other packages add theirs (the
half-year report's, from its own package). Every column is one aggregate query over the
subtree, whatever the number of units.
"""
