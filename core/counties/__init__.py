"""Hosted counties as a whole: their data found by the county key (``county_id``), moved to
another deployment (``gongkai county export/import``), and deleted once the register's
retention period is over (ARC-2)."""
