"""Open data: everything that is public, as downloads, a DCAT-AP catalogue and public statistics.

* :mod:`~core.opendata.datasets` — the datasets (published items, notices with their objection
  counts, published feedback answers, request statistics per month, the public register,
  statistics per unit), each a list of fields with a translated description and the function
  that makes its records. Every dataset covers an organisation's whole subtree (a county's is
  the whole county's), and reads only what an anonymous visitor may read: items through
  :func:`core.items.visibility.visible_items` with no user, published answers, counts.
* :mod:`~core.opendata.cache` — the files, regenerated when the data change: a data version
  (a digest of the subtree's public activity and the unit's local date) names them; a request
  with an unchanged version is answered from the file.
* :mod:`~core.opendata.stats` — the figures per unit (published on time, requests by outcome
  and response time in working days, feedback answered on time, published evaluation results).
* :mod:`~core.opendata.dcat` — the DCAT-AP catalogue ``/data/catalog.jsonld`` and its schema.
* :mod:`~core.opendata.views` — ``/o/<code>/data/`` (downloads), ``/o/<code>/data/fields``,
  ``/o/<code>/statistics`` and ``/data/catalog.jsonld``: public GET pages only.
"""
