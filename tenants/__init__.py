"""The organisation tree and tenancy: organisations, users, memberships, resolution."""
