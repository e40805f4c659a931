"""The form of the board's posting: the day it was put up, the photo, a note. The operation
(:func:`core.noticeboard.operations.record`) is the authority; its problems go under the fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, TextAreaField
from wtforms.validators import Length, Optional

from core.i18n import _
from core.noticeboard.models import NOTE_MAX


class PostingForm(FlaskForm):
    posted_on = DateField(
        _("Put up on"),
        validators=[Optional()],
        description=_("The day the printed board was put up where people read it."),
    )
    photo = FileField(
        _("Photo of the board"),
        description=_(
            "A photo (JPEG, PNG or WebP) that shows the whole board in place. Its location and "
            "camera details are removed before it is kept; the day it was taken is kept."
        ),
    )
    note = TextAreaField(
        _("Note (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        description=_("Where the board stands, which edition was printed …"),
    )

    def upload(self) -> tuple[str, bytes] | None:
        data = self.photo.data
        if not data or not getattr(data, "filename", None):
            return None
        return data.filename, data.read()
