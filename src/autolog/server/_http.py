"""Requests in, JSON out: reading arguments, the view wrapper and the token gate.

A view is a plain function ``view(api, args) -> dict`` that translates one request into Store
calls. ``endpoint`` wraps it: it checks write access, reads the arguments (query string,
path parameters and JSON body merged, as MLflow's clients send GETs with query strings and
everything else as JSON), runs the view in the thread pool (stores block) and encodes the
answer. Errors propagate to the one handler in ``_errors``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from autolog.errors import (
    InvalidInputError,
    PermissionDeniedError,
    RequestTooLargeError,
    UnauthenticatedError,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from autolog.server._api import Api

View = Callable[["Api", "Args"], Any]
_MISSING = object()


class Args:
    """A request's arguments with typed, MLflow-worded accessors (a bad one is a 400)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def get(self, name: str, default: Any = None) -> Any:
        value = self.data.get(name, default)
        return default if value is None else value

    def text(self, name: str) -> str:
        """A required, non-empty string."""
        value = self.data.get(name)
        if value is None or value == "":
            raise InvalidInputError(f"Missing value for required parameter '{name}'.")
        if not isinstance(value, str):
            raise InvalidInputError(f"parameter '{name}' must be a string, got {_kind(value)}")
        return value

    def opt_text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise InvalidInputError(f"parameter '{name}' must be a string, got {_kind(value)}")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer, given as a JSON number or as a decimal string (int64 in MLflow's JSON)."""
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise InvalidInputError(f"parameter '{name}' must be an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise InvalidInputError(f"parameter '{name}' must be an integer, got {value!r}")

    def items(self, name: str) -> list[Any]:
        """A JSON array, or a repeated (or single) query parameter."""
        value = self.data.get(name)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            return [value]
        raise InvalidInputError(f"parameter '{name}' must be a list, got {_kind(value)}")

    def texts(self, name: str) -> list[str]:
        items = self.items(name)
        if not all(isinstance(item, str) for item in items):
            raise InvalidInputError(f"parameter '{name}' must be a list of strings")
        return items

    def key_values(self, name: str) -> list[tuple[str, str]]:
        """MLflow's ``[{"key": ..., "value": ...}]`` lists (tags, params)."""
        pairs = []
        for item in self.items(name):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise InvalidInputError(
                    f"each entry of '{name}' must be an object with a string 'key' and a 'value'"
                )
            value = item.get("value")
            pairs.append((item["key"], "" if value is None else value))
        return pairs


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:200]


def parse_json(raw: bytes) -> Any:
    """A JSON document, or InvalidInputError (too deep a nesting included)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise InvalidInputError("the JSON body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"the body is not valid JSON: {exc}") from None


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing (413) one over ``limit`` bytes before or while reading it."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(size: int, limit: int) -> RequestTooLargeError:
    return RequestTooLargeError(
        f"the request body has {'at least ' if size > limit else ''}{size} bytes; this server "
        f"accepts at most {limit} (autolog server --max-request-mb)"
    )


async def read_args(request: Request, limit: int) -> Args:
    data: dict[str, Any] = {}
    query = request.query_params
    for key in query.keys():
        values = query.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    if request.method != "GET":
        raw = await read_body(request, limit)
        if raw.strip():
            doc = parse_json(raw)
            if not isinstance(doc, dict):
                raise InvalidInputError(
                    f"the JSON body must be an object of parameters, got {type(doc).__name__}"
                )
            data.update(doc)
    data.update(request.path_params)
    return Args(data)


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")


def check_write(request: Request) -> None:
    if request.scope.get("autolog.access", "write") != "write":
        raise PermissionDeniedError(
            "this token may only read; use the server's read-write token to change anything"
        )


def endpoint(api: Api, view: View, write: bool) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint for ``view``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    limit = api.config.max_request_bytes

    async def answer(request: Request) -> Response:
        if write:
            check_write(request)
        args = await read_args(request, limit)
        result = await run_in_threadpool(view, api, args)
        return Response(dumps(result), media_type="application/json")

    answer.__name__ = answer.__qualname__ = getattr(view, "__name__", "view")
    return answer


class TokenGate:
    """ASGI middleware: with tokens configured, every request but ``open_paths`` needs one.

    Sets ``scope["autolog.access"]`` to "write" or "read" for the views; compares tokens in
    constant time.
    """

    def __init__(
        self, app: Any, token: str | None, read_token: str | None, open_paths: frozenset[str], open_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.tokens = [(t.encode(), access) for t, access in ((token, "write"), (read_token, "read")) if t]
        self.open_paths = open_paths
        self.open_prefixes = open_prefixes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.tokens:
            await self.app(scope, receive, send)
            return
        access = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                if scheme.lower() == b"bearer":
                    for token, level in self.tokens:
                        if hmac.compare_digest(given.strip(), token):
                            access = level
                break
        path = scope["path"]
        is_open = path in self.open_paths or (path.startswith(self.open_prefixes) and ".." not in path)
        if access is None and not is_open:
            from autolog.server._errors import handle

            exc = UnauthenticatedError(
                "this server needs a bearer token: send 'Authorization: Bearer <token>' "
                "(MLflow's clients: set MLFLOW_TRACKING_TOKEN)"
            )
            response = await handle(None, exc)
            await response(scope, receive, send)
            return
        scope["autolog.access"] = access or "read"
        await self.app(scope, receive, send)
