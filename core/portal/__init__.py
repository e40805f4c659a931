"""The public portal: what visitors and members read.

* :mod:`core.portal.reading` — every list and detail the portal shows, each built on
  :func:`core.items.visibility.visible_items` (SCOPE-1), each a fixed number of statements;
* :mod:`core.portal.views` — the unit and county portal (rendered for the endpoint
  ``tenants.portal``), item pages with attachments and objections, search, Atom feeds, sitemap;
* :mod:`core.portal.api` — ``/api/v1/orgs/<code>/items`` and ``/api/v1/items/<id>``;
* :mod:`core.portal.caching` — ``Cache-Control`` and ``ETag`` for anonymous pages, in one place;
* :mod:`core.portal.board` — the printed notice board (``board.pdf``) and the QR codes;
* :mod:`core.portal.screen` — the full-screen view for screens and kiosks, and its JSON.
"""
