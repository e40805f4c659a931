"""The console's two homes: My work (``/admin``: everything waiting for the signed-in person,
across their organisations) and an organisation's home (``/admin/o/<code>/``: its status, quick
actions and side navigation).

Both only show what the areas registered in the shared web layer (:mod:`core.web.work`,
:mod:`core.web.status`, :mod:`core.web.navigation`): this package imports no area.
"""
