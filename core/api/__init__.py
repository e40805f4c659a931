"""The JSON API v1: tokens, Bearer authentication, errors, cursors and the OpenAPI document.

* :mod:`core.api.models` — :class:`~core.api.models.ApiToken` (hashed at rest);
* :mod:`core.api.operations` — create, verify, revoke and list tokens;
* :mod:`core.api.auth` — ``Authorization: Bearer`` on ``/api/`` paths, scopes, CSRF for
  cookie sessions, and :func:`~core.api.auth.token_permits` for the permission function;
* :mod:`core.api.errors` — the one JSON error shape of every ``/api/`` answer;
* :mod:`core.api.pagination` — opaque, signed cursors;
* :mod:`core.api.inputs` — checks of URL values, query strings and JSON bodies;
* :mod:`core.api.spec` and :mod:`core.api.schemas` — the OpenAPI document, generated from the
  declarations each endpoint makes with :func:`core.api.spec.operation`;
* :mod:`core.api.views` — organisations, item versions, the register, objections, workflow
  transitions, ``/api/v1/openapi.json`` and the reference page ``/api/v1/docs``.

The leaf modules (errors, pagination, inputs, spec, schemas, auth) import only the kernel,
``tenants`` and ``core.permissions``, so that every package's ``api.py`` may use them.
"""
