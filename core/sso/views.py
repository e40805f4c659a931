"""Sign-in through a government portal, and the platform console for the providers.

``/auth/sso/<provider>`` starts a sign-in (rate limited per client address) and
``/auth/callback/<provider>`` completes it: the provider kind verifies the portal's answer, the
identity is found or created (:func:`core.sso.operations.sign_in`) and the person is signed in
(:func:`tenants.signin.complete_sign_in`). Every failure ends on ``auth/sso_error.html`` with
a translated explanation and a 4xx (502 when the portal cannot be reached); the transaction is
rolled back, so nothing is half-created, and the failure is audited (``auth.sso_failed``).

``/admin/platform/sso`` lists, adds and edits providers: the action ``platform.manage``
(platform admins) only, else 403.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user

from core import audit, db, ratelimit, web
from core.errors import UserError
from core.sso import crypto, forms, providers
from core.sso import operations as sso
from core.sso.providers import SigninError
from core.themes import render
from core.web import landing, safe_target
from tenants.models import Organisation
from tenants.signin import complete_sign_in

log = logging.getLogger(__name__)

SSO_START_LIMIT = "10 per minute;100 per hour"
SSO_CALLBACK_LIMIT = "20 per minute;200 per hour"
NEXT_KEY = "sso_next"
HINT_KEY = "sso_logout_hint"

bp = Blueprint("sso", __name__, url_prefix="/auth")


def reason_text(reason: str) -> tuple[str, str]:
    """Title and explanation of a failed sign-in, in the language of the page."""
    nothing = gettext("Nothing was saved.")
    again = gettext("Please start the sign-in again.")
    texts = {
        "unknown": (gettext("Unknown sign-in provider"),
                    gettext("There is no sign-in provider by this name, or it is switched off.")),
        "denied": (gettext("Sign-in cancelled"),
                   gettext("You did not allow the portal to sign you in here.") + " " + nothing),
        "state": (gettext("Sign-in not recognised"),
                  gettext("This answer of the portal does not belong to a sign-in started from "
                          "this browser, or it was already used.") + " " + nothing + " " + again),
        "code": (gettext("Sign-in expired"),
                 gettext("The portal refused the sign-in code: it was already used or has "
                         "expired.") + " " + nothing + " " + again),
        "nonce": (gettext("Sign-in not recognised"),
                  gettext("The portal's answer belongs to another sign-in (the security check "
                          "did not match).") + " " + nothing + " " + again),
        "expired": (gettext("Sign-in expired"),
                    gettext("The portal's answer has expired.") + " " + nothing + " " + again),
        "token": (gettext("Sign-in not verified"),
                  gettext("The portal's answer could not be verified.") + " " + nothing),
        "provider": (gettext("Sign-in refused by the portal"),
                     gettext("The portal did not complete the sign-in.") + " " + nothing),
        "account": (gettext("Account disabled"),
                    gettext("The account linked to this identity is disabled. Please contact "
                            "the platform administrator.")),
        "unreachable": (gettext("The portal cannot be reached"),
                        gettext("The government portal does not answer at the moment. Please "
                                "try again later, or sign in another way.") + " " + nothing),
        "config": (gettext("Sign-in provider misconfigured"),
                   gettext("The sign-in provider is not configured correctly. Please tell the "
                           "platform administrator.") + " " + nothing),
        "secret": (gettext("Sign-in provider misconfigured"),
                   gettext("The sign-in provider's secret cannot be read. Please tell the "
                           "platform administrator.") + " " + nothing),
    }  # fmt: skip
    texts["refused"] = texts["config"]  # an address the outbound guard refuses
    return texts.get(reason, texts["provider"])


def failure(name: str, exc: SigninError):
    """The error page of a failed sign-in; what the request wrote is discarded, the failure
    is audited (committed on its own, since the error answer rolls back)."""
    log.warning("SSO sign-in through %s failed: %s", name[:60], exc)
    db.session.rollback()
    if exc.reason != "unknown":  # no audit entry for made-up provider names
        audit.log(
            "auth.sso_failed", "sso_provider", name[:60], ip=request.remote_addr,
            changes={"reason": [None, exc.reason], "detail": [None, exc.detail[:300]]},
        )  # fmt: skip
        db.commit()
    title, message = reason_text(exc.reason)
    page = render(
        "auth/sso_error.html",
        title=title,
        message=message,
        reason=exc.reason,
        status=exc.status,
        retry=url_for("sso.start", provider=name) if exc.status != 404 else None,
    )
    return page, exc.status


def provider_or_fail(name: str):
    row = sso.get_provider(name)
    if row is None or not row.enabled:
        raise SigninError("unknown", f"no enabled provider {name!r}")
    return providers.build(row)


@bp.get("/sso/<provider>")
def start(provider: str):
    try:
        with ratelimit.limit(SSO_START_LIMIT, scope="sso-start"):
            pass
    except ratelimit.RateLimitExceeded:
        abort(429)
    try:
        signin = provider_or_fail(provider)
        next_url = safe_target(request.args.get("next"))
        back = safe_target(request.args.get("back"))
        session[NEXT_KEY] = {"provider": signin.name, "next": next_url, "back": back}
        return signin.start(next_url or back or url_for("core.home"))
    except SigninError as exc:
        return failure(provider, exc)
    except crypto.SecretUnreadable as exc:
        return failure(provider, SigninError("secret", str(exc)))


@bp.get("/callback/<provider>")
def callback(provider: str):
    try:
        with ratelimit.limit(SSO_CALLBACK_LIMIT, scope="sso-callback"):
            pass
    except ratelimit.RateLimitExceeded:
        abort(429)
    pending = session.pop(NEXT_KEY, None) or {}
    ours = pending.get("provider") == provider
    next_url, back = (pending.get("next"), pending.get("back")) if ours else (None, None)
    try:
        signin = provider_or_fail(provider)
        claims = signin.finish()
        user = sso.sign_in(signin.config, claims)
    except SigninError as exc:
        return failure(provider, exc)
    except crypto.SecretUnreadable as exc:
        return failure(provider, SigninError("secret", str(exc)))
    except UserError as exc:
        return failure(provider, SigninError("provider", str(exc)))
    complete_sign_in(user, method=signin.config.kind, provider=signin.name)
    if signin.logout_hint:
        session[HINT_KEY] = signin.logout_hint
    flash(gettext("Signed in as %(name)s.", name=user.display_name), "success")
    return redirect(landing(user, next_url, back))


# --- the platform console: /admin/platform/sso -----------------------------------------------

admin_bp = web.platform_blueprint("sso_admin", __name__, prefix="/sso")


def _form(row=None) -> forms.ProviderForm:
    form = forms.ProviderForm()
    form.kind.choices = [(k, k) for k in sorted(providers.kinds())]
    if row is not None and request.method == "GET":
        form.fill(row)
        root = db.session.get(Organisation, row.root_id) if row.root_id else None
        form.root.data = root.code if root else ""
    return form


def _county_codes() -> dict[int, str]:
    from tenants import hierarchy

    return {org.id: org.code for org in hierarchy.roots()}


@admin_bp.get("/")
def index():
    return render(
        "admin/sso.html",
        rows=sso.list_providers(),
        counties=_county_codes(),
        locale=str(get_locale()),
    )


@admin_bp.route("/new", methods=["GET", "POST"])
def new():
    form = _form()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            if not form.name.data:
                raise UserError(gettext("The sign-in provider was not saved."),
                                problems=[gettext("name: required")])  # fmt: skip
            row = sso.create_provider(
                form.name.data.strip(),
                root=sso.county(form.root.data.strip() or None),
                kind=form.kind.data,
                issuer=form.issuer.data,
                client_id=form.client_id.data,
                client_secret=form.client_secret.data or "",
                scopes=form.scopes.data,
                org_claim=form.org_claim.data,
                claim_map=form.claim_map(),
                labels=form.labels(),
                enabled=form.enabled.data,
                actor=current_user,
            )
            flash(gettext("Sign-in provider %(name)s added.", name=row.name), "success")
            return redirect(url_for(".index"))
        except UserError as exc:
            errors = web.refusal(exc)
    status = 400 if (errors or form.errors) else 200
    return render("admin/sso_form.html", form=form, row=None, errors=errors), status


@admin_bp.route("/<name>", methods=["GET", "POST"])
def edit(name: str):
    row = sso.get_provider(name)
    if row is None:
        abort(404)
    form = _form(row)
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            root = sso.county(form.root.data.strip() or None)
            changed = sso.update_provider(
                row,
                {
                    "root_id": root.id if root else None,
                    "kind": form.kind.data,
                    "issuer": form.issuer.data,
                    "client_id": form.client_id.data,
                    "scopes": form.scopes.data,
                    "org_claim": form.org_claim.data,
                    "claim_map": form.claim_map(),
                    "labels": form.labels(),
                    "enabled": form.enabled.data,
                },
                client_secret=form.client_secret.data or None,
                actor=current_user,
            )
            if changed:
                flash(gettext("Sign-in provider %(name)s saved.", name=row.name), "success")
            else:
                flash(gettext("Nothing changed."), "info")
            return redirect(url_for(".index"))
        except UserError as exc:
            errors = web.refusal(exc)
    status = 400 if (errors or form.errors) else 200
    return render("admin/sso_form.html", form=form, row=row, errors=errors), status
