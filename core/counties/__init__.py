"""Hosted counties as a whole: their data found by the county key (``county_id``), and deleting
a county once the register's retention period is over (ARC-2)."""
