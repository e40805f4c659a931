"""Sign-in: the sign-in page, password sign-in (Flask-Login), sign-out; the government-portal
providers live in :mod:`core.sso`."""
