"""The platform's own pages: the home page (the hosted counties, or the county portal on a mapped
host), liveness and readiness. The platform console (``/admin/platform/...``) grows here."""
