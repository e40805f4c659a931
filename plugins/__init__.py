"""Built-in sector plugins of Gongkai.

Sector plugins shipped with core live in this package, one subpackage per plugin. They are
registered the same way as third-party plugins, through an entry point of group
``gongkai.plugins`` in the project's ``pyproject.toml``, and are enabled per organisation.
They import only from ``core.toolkit``. There is none yet; see ``plugins/README.md`` for the
plugin system and every hook.
"""
