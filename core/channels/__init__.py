"""A hosted county's own channels of disclosure (CAT-6): the county's console adds a phone line,
the local newspaper, a service guide (办事指南), a 阳光台 … with names in three languages and the
audience that decides the scopes it suits; its units' catalogue entries and items choose them
beside the code list's and the plugins' channels (:mod:`core.catalogue.channels` reads them).

Who: ``channels.manage`` — the admins of the county (the root of the tree) and platform
admins; the page exists only in a county's console.
"""

from core import permissions

permissions.register("channels.manage", {"admin"}, "unit", platform=True)
