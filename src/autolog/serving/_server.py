"""The scoring server: one model loaded once, answered by a small ASGI app on uvicorn.

The same HTTP stack as ``autolog server`` (uvicorn, bound by ``autolog.server._run``), but no
router: a scoring server has five paths, and the request that matters, ``POST /invocations``,
goes straight from the body to the model (``score``), in the event loop. Predictions are
CPU-bound under the GIL, so a thread pool would only add a hand-off per request; the loop
stays responsive to new connections between requests, and a slow client's body is read
asynchronously with a time limit (``read_timeout``), holding no thread while it dribbles in.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from typing import Any

from autolog.errors import InvalidInputError, SignatureError
from autolog.serving._fastpath import array_path
from autolog.serving._requests import BadRequest, decode_json, json_input, parse_csv, predictions_json

#: bodies larger than this are refused with 413 before they are read
DEFAULT_MAX_BODY = 50 * 1024 * 1024
#: seconds a client may take to send a request's body
DEFAULT_READ_TIMEOUT = 30.0
#: connections served at once; more are answered 503 by uvicorn (the listen backlog is 2048)
DEFAULT_MAX_CONNECTIONS = 1000

_JSON = [(b"content-type", b"application/json")]
_CLOSE = [(b"connection", b"close")]


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error_code": code, "message": message}).encode("utf-8")


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code = status, code
        super().__init__(message)


class ScoringServer:
    """A loaded model and the ASGI app that scores requests with it (``self`` is the app)."""

    def __init__(
        self, model: Any, host: str = "127.0.0.1", port: int = 5000, max_body: int = DEFAULT_MAX_BODY,
        access_log: bool = False, fast_path: bool = True, read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> None:
        import autolog
        from autolog.server._run import bind

        self.model = model
        #: scores plain numeric rows without a DataFrame where that cannot change the answer
        self.array_path = array_path(model) if fast_path else None
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.access_log = access_log
        self.version_doc = json.dumps(
            {
                "autolog": autolog.__version__, "model_uri": model.model_uri, "flavor": model.flavor,
                "fast_path": self.array_path is not None,
            }
        ).encode("utf-8")
        signature = model.signature
        sig_doc = signature.to_dict() if hasattr(signature, "to_dict") else signature
        self.metadata_doc = json.dumps(
            {
                "model_uri": model.model_uri, "run_id": model.run_id, "flavor": model.flavor,
                "flavors": list(model.flavors), "signature": sig_doc, "metadata": model.metadata,
                "requirements": model.requirements,
            },
            default=str,
        ).encode("utf-8")
        self.socket = bind(host, port)
        self.server_address = self.socket.getsockname()
        self.server_port: int = self.server_address[1]
        self._uvicorn: Any = None
        self._stopped = threading.Event()

    # -- ASGI ------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
            return
        try:
            status, body, extra = await self._answer(scope, receive)
        except _Refused as exc:
            status, body, extra = exc.status, _error(exc.code, str(exc)), _CLOSE
        headers = [(b"content-length", str(len(body)).encode()), *(_JSON if body else ()), *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: dict[str, Any], receive: Any) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        method, path = scope["method"], scope["path"]
        if method == "POST":
            content_type, length = _headers(scope["headers"])
            body = await self._body(receive, length)
            if path != "/invocations":
                return 404, _error("NOT_FOUND", f"no such path {path!r}; POST to /invocations"), []
            status, payload = self.score(content_type, body)
            return status, payload, []
        if method in ("GET", "HEAD"):
            if path in ("/ping", "/health"):
                return 200, b'{"status":"ok"}', []
            if path == "/version":
                return 200, self.version_doc, []
            if path == "/metadata":
                return 200, self.metadata_doc, []
            if path == "/invocations":
                return 405, _error("METHOD_NOT_ALLOWED", "use POST for /invocations"), [(b"allow", b"POST, OPTIONS")]
            return 404, _error("NOT_FOUND", f"no such path {path!r}; try POST /invocations, GET /ping, /health, /version, /metadata"), []
        if method == "OPTIONS":
            allow = b"POST, OPTIONS" if path == "/invocations" else b"GET, HEAD, POST, OPTIONS"
            return 204, b"", [(b"allow", allow)]
        return 405, _error("METHOD_NOT_ALLOWED", "use POST /invocations or GET"), _CLOSE

    async def _body(self, receive: Any, length: int | None) -> bytes:
        if length is not None and length > self.max_body:
            raise _Refused(
                413, "REQUEST_TOO_LARGE",
                f"the body has {length} bytes; this server accepts at most {self.max_body} (autolog serve --max-body-mb)",
            )
        try:
            message = await receive()  # a small body is usually here already: no timer needed
            if not message.get("more_body"):
                return bytes(message.get("body", b""))
            return await asyncio.wait_for(self._rest(receive, message), self.read_timeout)
        except asyncio.TimeoutError:
            raise _Refused(
                408, "REQUEST_TIMEOUT", f"the request body did not arrive within {self.read_timeout:g} s"
            ) from None

    async def _rest(self, receive: Any, first: dict[str, Any]) -> bytes:
        chunks, size = [first.get("body", b"")], len(first.get("body", b""))
        message = first
        while message.get("more_body"):
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Refused(400, "BAD_REQUEST", "the client went away before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _Refused(413, "REQUEST_TOO_LARGE", f"the body is larger than {self.max_body} bytes (autolog serve --max-body-mb)")
            chunks.append(chunk)
        return b"".join(chunks)

    def score(self, content_type: str, body: bytes) -> tuple[int, bytes]:
        kind = content_type.split(";", 1)[0].strip().lower()
        try:
            if kind in ("application/json", ""):
                key, value = decode_json(body)
                if self.array_path is not None:
                    done, predictions = self.array_path(key, value)
                    if done:
                        return 200, predictions_json(predictions)
                data = json_input(key, value, self.model.signature)
            elif kind == "text/csv":
                data = parse_csv(body)
            else:
                raise BadRequest(
                    f"unsupported Content-Type {content_type!r}; send application/json or text/csv", 415
                )
            predictions = self.model.predict(data)
        except BadRequest as exc:
            return exc.status, _error("BAD_REQUEST" if exc.status == 400 else "UNSUPPORTED_MEDIA_TYPE", str(exc))
        except (SignatureError, InvalidInputError) as exc:
            return 400, _error("BAD_REQUEST", str(exc))
        except (ValueError, TypeError, KeyError) as exc:
            return 400, _error("BAD_REQUEST", f"the model could not predict on this input: {type(exc).__name__}: {exc}")
        except Exception as exc:
            return 500, _error("INTERNAL_ERROR", f"prediction failed: {type(exc).__name__}: {exc}")
        return 200, predictions_json(predictions)

    # -- running -----------------------------------------------------------------------------
    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve on the bound socket until ``shutdown()`` (from another thread) or a signal."""
        import uvicorn

        from autolog.server._run import uvicorn_config

        self._uvicorn = uvicorn.Server(uvicorn_config(self, access_log=self.access_log, limit_concurrency=DEFAULT_MAX_CONNECTIONS))
        try:
            self._uvicorn.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
            self._stopped.wait(30)

    def server_close(self) -> None:
        self.socket.close()


def _headers(headers: list[tuple[bytes, bytes]]) -> tuple[str, int | None]:
    """Content-Type and Content-Length; a repeated Content-Length is refused (request smuggling)."""
    content_type, length = "", None
    seen_length = False
    for name, value in headers:
        if name == b"content-type":
            content_type = value.decode("latin-1")
        elif name == b"content-length":
            if seen_length:
                raise _Refused(400, "BAD_REQUEST", "more than one Content-Length header")
            seen_length = True
            try:
                length = int(value)
            except ValueError:
                raise _Refused(400, "BAD_REQUEST", f"bad Content-Length {value!r}") from None
    return content_type, length


def make_server(
    model_uri: str, host: str = "127.0.0.1", port: int = 5000, max_body: int = DEFAULT_MAX_BODY,
    access_log: bool = False, fast_path: bool = True, read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> ScoringServer:
    """Load the model once and bind the server (port 0 picks a free one: ``server.server_port``).

    ``fast_path=False`` sends every request through a DataFrame and the signature check, even
    where plain numeric rows could go to the model as an array (same predictions, slower).
    """
    from autolog.server import require_stack

    require_stack()
    from autolog.models import load_model

    model = load_model(model_uri)
    return ScoringServer(model, host, port, max_body, access_log, fast_path, read_timeout)


def serve(
    model_uri: str, host: str = "127.0.0.1", port: int = 5000, max_body: int = DEFAULT_MAX_BODY,
    access_log: bool = False, fast_path: bool = True, read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> None:
    """Serve ``model_uri`` until interrupted (Ctrl-C or SIGTERM)."""
    from autolog.server._run import exposure_note, url_of

    server = make_server(model_uri, host, port, max_body, access_log, fast_path, read_timeout)
    sys.stderr.write(f"autolog: serving {model_uri} ({server.model.flavor}) on {url_of(server.socket)}\n")
    sys.stderr.flush()
    exposure_note(host, protected=False, what="the model")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
