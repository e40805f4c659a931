"""HTTP caching of the public pages, decided in one place (an ``after_request`` of the app).

* Anonymous ``GET``/``HEAD`` answers of the public endpoints below get
  ``Cache-Control: public, max-age=60``, ``Vary: Accept-Language, Cookie`` and an ``ETag``; a
  repeated request with ``If-None-Match`` gets ``304 Not Modified``.
* A page that carries a form token, or whose answer sets the session cookie, is personal even
  for an anonymous visitor: ``private, no-store`` (a shared cache must not hand one visitor's
  CSRF token to another).
* Signed-in visitors get ``private, no-store`` on every answer that does not say otherwise
  (their pages show what they may see). Feeds and the sitemap are the same for everyone
  (anonymous semantics whoever asks), so they stay public.
"""

from __future__ import annotations

from flask import g, request, session
from flask_login import current_user

MAX_AGE = 60
PUBLIC_ENDPOINTS = frozenset(
    {
        "core.home",
        "tenants.portal",
        "catalogue_public.catalogue",
        "catalogue_api.catalogue",
        "portal.item",
        "portal.attachment",
        "portal.search",
        "portal.feed",
        "portal_site.sitemap",
        "items_api.items",
        "items_api.item",
    }
)
SHARED_ENDPOINTS = frozenset({"portal.feed", "portal_site.sitemap"})
PRIVATE = "private, no-store"


def _signed_in() -> bool:
    # a session with a person in it is private whether or not it is still valid (and a page
    # of the console's cache is answered without loading the person)
    return "_user_id" in session or bool(getattr(current_user, "is_authenticated", False))


def _personal() -> bool:
    """The answer embeds a CSRF token or sets the session cookie."""
    return "csrf_token" in g or bool(getattr(session, "modified", False))


def cache_headers(response):
    endpoint = request.endpoint or ""
    public_endpoint = endpoint in PUBLIC_ENDPOINTS
    if endpoint not in SHARED_ENDPOINTS and _signed_in():
        if public_endpoint or "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = PRIVATE
        return response
    if not public_endpoint or request.method not in ("GET", "HEAD"):
        return response
    if response.status_code not in (200, 304):
        return response
    if _personal():
        response.headers["Cache-Control"] = PRIVATE
        return response
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.vary.update(("Accept-Language", "Cookie"))
    if response.status_code == 200 and "ETag" not in response.headers:
        response.add_etag()
        response.make_conditional(request)
    return response
