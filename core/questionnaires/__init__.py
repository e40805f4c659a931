"""Questionnaires (调查表): a short survey as one of a unit's feedback channels.

A unit's admins and editors draft a questionnaire in the console (a title in Chinese, English
and Uyghur optional, an introduction, 1 to 10 questions: single choice, multiple choice with 2 to
8 options, or a short free-text answer of at most 500 characters), open it for a period (closing
after opening, at most 90 days), may close it early, and publish its aggregated results: counts
and percentages per option. Free-text answers are never published, only counted; the unit's
staff read them in the console.

Anyone answers without an account at ``/o/<code>/questionnaires/<id>``: once per address and
questionnaire. Only a keyed hash of the address is kept (HMAC with the application's secret and
the questionnaire's id), in a table that shares no key with the answers; submissions are rate
limited per address too (:mod:`core.ratelimit`).

Modules: ``models``, ``workflow`` (states and actions), ``operations`` (the only writers),
``forms``, ``views`` (console), ``public`` (visitors), ``jobs`` (closing at the end of the
period), ``demo``.

Actions: ``questionnaires.manage`` — the unit's admins and editors; ``questionnaires.view`` —
the unit's admins, editors, reviewers and supervisors, and those of its superiors.
"""
