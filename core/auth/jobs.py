"""The mail job of self-registration: the link that confirms an account's e-mail address.

The job carries the verification's id only; it rebuilds the link's token from the row's salt and
the secret key (:func:`tenants.operations.verification_token`). A delivery that fails raises, so
the job runs again (:data:`core.jobs.RETRY_INTERVALS`).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext

from core import db
from core.notifications import kinds, mail
from tenants import operations
from tenants.models import EmailVerification, User


def verify_path(token: str) -> str:
    """The path of the link (works in jobs, without a request)."""
    return current_app.url_map.bind("localhost").build("auth.verify_email", {"token": token})


def verification_message(verification: EmailVerification, user: User):
    locale = kinds.locale_of(user)
    token = operations.verification_token(verification)
    with force_locale(locale):
        entry = {
            "title": gettext("Confirm your e-mail address for Gongkai"),
            "body": gettext(
                "Hello %(name)s, open the link below and confirm your address to finish creating "
                "your account “%(username)s”. The link works once, for %(hours)s hours. If you "
                "did not create this account, ignore this message.",
                name=user.display_name,
                username=user.username,
                hours=operations.EMAIL_VERIFICATION_HOURS,
            ),
            "url": mail.absolute(verify_path(token)),
            "when": "",
        }
        return mail.compose(user, entry["title"], "notification", locale,
                            key=f"verification.{verification.id}", entry=entry)  # fmt: skip


def send_verification(verification_id: int) -> bool:
    """Mail the link of a pending verification; True when it went."""
    verification = db.session.get(EmailVerification, verification_id)
    if verification is None or verification.status() != "pending":
        return False
    user = db.session.get(User, verification.user_id)
    if user is None or not user.email:
        return False
    mail.deliver(verification_message(verification, user))
    return True
