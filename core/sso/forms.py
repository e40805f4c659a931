"""The platform console's form for a sign-in provider."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from core.i18n import _
from tenants.models import CODE_PATTERN

CLAIM_LABELS = {
    "display_name": _("Claim with the display name"),
    "email": _("Claim with the e-mail address"),
    "realname_level": _("Claim with the real-name level"),
    "account_type": _("Claim with the account type (person or legal entity)"),
}
LABEL_LOCALES = ("zh_Hans_CN", "en", "ug")


class ProviderForm(FlaskForm):
    name = StringField(
        _("Provider name"),
        validators=[
            Optional(),
            Length(max=63),
            Regexp(CODE_PATTERN, message=_("Use a-z, 0-9 and '-'.")),
        ],
        description=_(
            "Part of the sign-in and callback addresses (/auth/callback/NAME): "
            "register that address at the portal. It cannot be changed later."
        ),
    )
    kind = SelectField(_("Kind"), default="oidc")
    root = StringField(
        _("County"),
        validators=[Optional(), Length(max=63)],
        description=_(
            "Code of the hosted county whose sign-in page offers it; "
            "leave empty for the whole platform."
        ),
    )
    issuer = StringField(
        _("Issuer URL"),
        validators=[DataRequired(), Length(max=500)],
        description=_(
            "The portal's issuer, e.g. https://portal.example.gov.cn (its discovery "
            "document is read from /.well-known/openid-configuration)."
        ),
    )
    client_id = StringField(_("Client id"), validators=[DataRequired(), Length(max=255)])
    client_secret = PasswordField(
        _("Client secret"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"autocomplete": "new-password"},  # never the browser's saved password
        description=_(
            "Stored encrypted and never shown again. Leave empty to keep the stored secret."
        ),
    )
    scopes = StringField(_("Scopes"), default="openid profile email", validators=[Length(max=500)])
    org_claim = StringField(
        _("Organisation claim"),
        validators=[Optional(), Length(max=100)],
        description=_(
            "A claim whose value is an organisation code: the person becomes a member "
            "of that organisation when it lies inside the provider's county."
        ),
    )
    claim_display_name = StringField(CLAIM_LABELS["display_name"], default="name")
    claim_email = StringField(CLAIM_LABELS["email"], default="email")
    claim_realname_level = StringField(CLAIM_LABELS["realname_level"], default="realname_level")
    claim_account_type = StringField(CLAIM_LABELS["account_type"], default="account_type")
    label_zh_Hans_CN = StringField(_("Button label (Chinese)"), validators=[Length(max=100)])
    label_en = StringField(_("Button label (English)"), validators=[Length(max=100)])
    label_ug = StringField(_("Button label (Uyghur)"), validators=[Length(max=100)])
    enabled = BooleanField(_("Enabled: offered on the sign-in page"), default=True)

    def claim_map(self) -> dict[str, str]:
        return {field: getattr(self, f"claim_{field}").data or "" for field in CLAIM_LABELS}

    def labels(self) -> dict[str, str]:
        return {loc: getattr(self, f"label_{loc}").data or "" for loc in LABEL_LOCALES}

    def fill(self, row) -> None:
        """Show a stored provider (never its secret)."""
        self.name.data = row.name
        self.kind.data = row.kind
        self.issuer.data = row.issuer
        self.client_id.data = row.client_id
        self.scopes.data = row.scopes
        self.org_claim.data = row.org_claim or ""
        for field in CLAIM_LABELS:
            getattr(self, f"claim_{field}").data = row.claim(field)
        for loc in LABEL_LOCALES:
            getattr(self, f"label_{loc}").data = (row.labels or {}).get(loc, "")
        self.enabled.data = row.enabled
