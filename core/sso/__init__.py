"""Sign-in through government portals (IAM-1, IAM-2): providers stored in the database, the
identities they vouch for, the built-in OIDC kind and the ``signin_provider_kinds`` hook."""
