"""Domain events ("this happened"), sent inside the unit of work that made them happen.

Kernel module. Earlier engine packages send; later ones (register, search, notifications)
connect receivers in their ``subscribers`` module, which the application imports at start-up. A
receiver's writes join the sender's transaction, so an event and its consequences commit (or roll
back) together. Receivers get the sender object plus keyword arguments; they return nothing.
Hooks, not events, are for anything that returns data or vetoes (see ``core.hookspecs``).
"""

from __future__ import annotations

from blinker import Namespace

events = Namespace()

item_published = events.signal("item-published")
"""``sender``: the Item; ``actor``, ``version``: the published ItemVersion."""
item_withheld = events.signal("item-withheld")
"""``sender``: the Item; ``actor``, ``reason``, ``filed_with``: the superior Organisation."""
item_amended = events.signal("item-amended")
"""``sender``: the Item; ``actor``, ``version``: the new current version, ``explanation``."""
item_revoked = events.signal("item-revoked")
"""``sender``: the Item; ``actor``, ``explanation``."""
item_closed = events.signal("item-closed")
"""``sender``: the Item; ``actor``."""
item_widened = events.signal("item-widened")
"""``sender``: the Item; its visible scope became its planned scope (internal first)."""
user_signed_in = events.signal("user-signed-in")
"""``sender``: the User who just signed in; ``method`` ("password", "oidc", ...), ``provider``
(the sign-in provider's name or None), ``carried``: a dict of the values the pre-sign-in session
held under :data:`core.auth.signin.CARRY_OVER` keys (e.g. a pending invitation token)."""
