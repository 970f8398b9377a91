"""The HTTP server: one model loaded once, one thread per keep-alive connection."""

from __future__ import annotations

import json
import sys
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from autolog.errors import InvalidInputError, SignatureError
from autolog.serving._fastpath import array_path
from autolog.serving._requests import BadRequest, decode_json, json_input, parse_csv, predictions_json

#: bodies larger than this are refused with 413 before they are read
DEFAULT_MAX_BODY = 50 * 1024 * 1024


_REASONS = {int(s): s.phrase for s in HTTPStatus}
_date_cache: tuple[int, str] = (0, "")


def _date() -> str:
    """The Date header's value, formatted once per second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error_code": code, "message": message}).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection
    disable_nagle_algorithm = True  # small responses go out at once
    server: ScoringServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str = "application/json", close: bool = False) -> None:
        # the status line, headers and body leave in one write: a separate write for the body
        # costs a second packet and a second wake-up of the client on every request
        if close:
            self.close_connection = True
        extra = "Connection: close\r\n" if close else ""
        head = (
            f"{self.protocol_version} {status} {_REASONS.get(status, '')}\r\n"
            f"Server: autolog\r\nDate: {_date()}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n"
        )
        self.wfile.write(head.encode("latin-1") + body)
        if self.server.access_log:
            self.log_request(status, len(body))

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/ping", "/health"):
            self._send(200, b'{"status":"ok"}')
        elif path == "/version":
            self._send(200, self.server.version_doc)
        elif path == "/metadata":
            self._send(200, self.server.metadata_doc)
        elif path == "/invocations":
            self._send(405, _error("METHOD_NOT_ALLOWED", "use POST for /invocations"))
        else:
            self._send(404, _error("NOT_FOUND", f"no such path {path!r}; try POST /invocations, GET /ping, /health, /version, /metadata"))

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            # without a length the body cannot be skipped safely: answer and close
            self._send(411, _error("LENGTH_REQUIRED", "send a Content-Length header"), close=True)
            return
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            self._send(400, _error("BAD_REQUEST", f"bad Content-Length {length_text!r}"), close=True)
            return
        if length > self.server.max_body:
            self._send(
                413,
                _error("REQUEST_TOO_LARGE", f"the body has {length} bytes; this server accepts at most {self.server.max_body} (autolog serve --max-body-mb)"),
                close=True,
            )
            return
        body = self.rfile.read(length)
        if path != "/invocations":
            self._send(404, _error("NOT_FOUND", f"no such path {path!r}; POST to /invocations"))
            return
        status, payload = self.server.score(self.headers.get("Content-Type", ""), body)
        self._send(status, payload)

    def do_PUT(self) -> None:
        self._send(405, _error("METHOD_NOT_ALLOWED", "use POST /invocations or GET"), close=True)

    do_DELETE = do_PUT
    do_PATCH = do_PUT


class ScoringServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that scores requests with one loaded model."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, model: Any, host: str, port: int, max_body: int, access_log: bool = False,
        fast_path: bool = True,
    ) -> None:
        import autolog

        self.model = model
        #: scores plain numeric rows without a DataFrame where that cannot change the answer
        self.array_path = array_path(model) if fast_path else None
        self.max_body = max_body
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
        super().__init__((host, port), _Handler)

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


def make_server(
    model_uri: str, host: str = "127.0.0.1", port: int = 5000, max_body: int = DEFAULT_MAX_BODY,
    access_log: bool = False, fast_path: bool = True,
) -> ScoringServer:
    """Load the model once and bind the server (port 0 picks a free one: ``server.server_port``).

    ``fast_path=False`` sends every request through a DataFrame and the signature check, even
    where plain numeric rows could go to the model as an array (same predictions, slower).
    """
    from autolog.models import load_model

    model = load_model(model_uri)
    return ScoringServer(model, host, port, max_body, access_log, fast_path)


def serve(
    model_uri: str, host: str = "127.0.0.1", port: int = 5000, max_body: int = DEFAULT_MAX_BODY,
    access_log: bool = False, fast_path: bool = True,
) -> None:
    """Serve ``model_uri`` until interrupted (Ctrl-C or SIGTERM)."""
    import signal

    server = make_server(model_uri, host, port, max_body, access_log, fast_path)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    sys.stderr.write(
        f"autolog: serving {model_uri} ({server.model.flavor}) on "
        f"http://{server.server_address[0]!s}:{server.server_port}\n"
    )
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
