"""The one place where errors become HTTP answers: ``{"error_code": ..., "message": ...}``.

MLflow's clients read ``error_code`` (names from MLflow's ``databricks.proto``) to decide what
happened, e.g. ``RESOURCE_ALREADY_EXISTS`` when ``register_model`` finds the name taken. Every
view raises ``autolog.errors`` exceptions; none builds an error response itself. Anything else
is a bug of ours: it is logged with its traceback on the server and answered with a 500 that
carries no traceback.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from autolog import errors

_log = logging.getLogger("autolog.server")

#: most specific first: the first class an exception is an instance of decides
_CODES: tuple[tuple[type[BaseException], int, str], ...] = (
    (errors.AlreadyExistsError, 400, "RESOURCE_ALREADY_EXISTS"),
    (errors.RequestTooLargeError, 413, "REQUEST_LIMIT_EXCEEDED"),
    (errors.UnauthenticatedError, 401, "UNAUTHENTICATED"),
    (errors.PermissionDeniedError, 403, "PERMISSION_DENIED"),
    (errors.InvalidInputError, 400, "INVALID_PARAMETER_VALUE"),
    (errors.NotFoundError, 404, "RESOURCE_DOES_NOT_EXIST"),
    (errors.RunStateError, 400, "INVALID_STATE"),
    (errors.StoreError, 503, "TEMPORARILY_UNAVAILABLE"),
    (errors.AutologError, 400, "BAD_REQUEST"),
)

#: Starlette's own answers (unknown path, wrong method) in the same shape
_HTTP_CODES = {404: "ENDPOINT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_LIMIT_EXCEEDED"}


def body(code: str, message: str) -> bytes:
    return json.dumps({"error_code": code, "message": message}).encode("utf-8")


def classify(exc: BaseException) -> tuple[int, str, str]:
    """(HTTP status, MLflow error code, message) for an exception raised by a view."""
    for cls, status, code in _CODES:
        if isinstance(exc, cls):
            return status, code, str(exc) or type(exc).__name__
    from starlette.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST" if exc.status_code < 500 else "INTERNAL_ERROR")
        return exc.status_code, code, str(exc.detail)
    _log.error("internal error while answering a request", exc_info=exc)
    return 500, "INTERNAL_ERROR", (
        f"the server failed on this request ({type(exc).__name__}); the server's log has the "
        "details. Please report it."
    )


async def handle(request: Any, exc: Exception) -> Any:
    """Starlette's exception handler for every exception class."""
    from starlette.responses import Response

    status, code, message = classify(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(body(code, message), status, headers=headers, media_type="application/json")
