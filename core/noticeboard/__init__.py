"""The printed notice board's evidence (公开栏): when a unit put its printed board up, with a
dated photo of it — what the county's assessment looks at.

A unit's console (``/admin/o/<code>/board``) offers the printable board (``board.pdf`` of
:mod:`core.portal.board`, its sizes and orientations), a form to mark the day the board was put
up with a photo, and the postings so far. The photo is checked and re-encoded by
:func:`core.images.clean` (its type from its signature, its size limited, **EXIF and location
stripped**); the date the camera wrote is kept beside it. A superior (the county, the bureau)
sees the same page for each unit below and, on its own page, when each unit below last put its
board up.

Modules: ``models`` (:class:`~core.noticeboard.models.BoardPosting`), ``operations`` (record,
read, the units below), ``forms``, ``views``.

Actions: ``noticeboard.record`` — the unit's admins and editors; ``noticeboard.view`` — the
unit's admins, editors, reviewers and supervisors, and those of its superiors.
"""

from core import permissions

permissions.register("noticeboard.record", {"admin", "editor"}, "unit")
permissions.register(
    "noticeboard.view", {"admin", "editor", "reviewer", "supervisor"}, "unit_or_superior"
)
