"""Sign-in: local accounts now (Flask-Login); SSO providers come later."""
