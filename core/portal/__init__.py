"""The public portal: what visitors and members read.

* :mod:`core.portal.views` — the unit and county portal (rendered for the endpoint
  ``tenants.portal``), item pages with attachments and objections, search, Atom feeds, sitemap;
  every list and detail comes from :mod:`core.items.reading` (built on
  :func:`core.items.visibility.visible_items`, SCOPE-1);
* :mod:`core.portal.api` — the organisation directory as JSON (``/api/v1/orgs...``);
* :mod:`core.portal.caching` — ``Cache-Control`` and ``ETag`` for anonymous pages, in one place;
* :mod:`core.portal.board` — the printed notice board (``board.pdf``) and the QR codes;
* :mod:`core.portal.screen` — the full-screen view for screens and kiosks, and its JSON.

The items' JSON (``/api/v1/items/...``) is :mod:`core.items.api`.
"""
