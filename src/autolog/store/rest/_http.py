"""One keep-alive connection pool per tracking server: JSON in and out, retries, our errors back.

urllib3 is the client (measured beside httpx for many small requests: about half the client
CPU per request; benchmarks/README.md) and it is imported only when an ``http(s)://`` tracking
URI is used. One pool per server is shared by every thread and every store of the process.

Failures, and what happens to them:

- the connection cannot be made (refused, unknown host, connect timeout): the request never
  left, it is tried again after 0.1 s and 0.5 s, then ``ServerUnreachableError(sent=False)``;
- the connection broke after the request went out, or no answer came in time, or a gateway
  answered 502/503/504: the server may have applied it. It is tried again only when the caller
  gave a form that cannot apply twice (``again``), else ``ServerUnreachableError(sent=True)``;
- a 500 is tried again the same way, then raised as ``StoreError``;
- any other error answer is our own error class again (``from_answer``), never retried.

After a failed request the server counts as down for ``DOWN_S`` seconds: calls fail at once
instead of each waiting for the network again, until ``probe()`` finds it back.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from autolog import errors
from autolog.errors import ServerUnreachableError, StoreError

if TYPE_CHECKING:
    import urllib3

#: the environment variable holding the server's bearer token
TOKEN_ENV = "AUTOLOG_TRACKING_TOKEN"
#: pauses before the second and third try of a request that failed on the way
BACKOFF = (0.1, 0.5)
#: how long a server that failed counts as down (calls fail at once meanwhile)
DOWN_S = 5.0
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 300.0  # a search over many runs, a batch of millions of points
#: /health answers at once, but a server just started under load may take a few seconds
HEALTH_READ_TIMEOUT_S = 15.0
#: answers that mean "not now" rather than "no"
_GATEWAY = frozenset({502, 503, 504})
#: a request that may be sent again as it is (it cannot apply twice)
SAME = object()

#: MLflow's error codes (the server's ``_errors``) -> our classes
_ERRORS: dict[str, type[errors.AutologError]] = {
    "RESOURCE_ALREADY_EXISTS": errors.AlreadyExistsError,
    "REQUEST_LIMIT_EXCEEDED": errors.RequestTooLargeError,
    "UNAUTHENTICATED": errors.UnauthenticatedError,
    "PERMISSION_DENIED": errors.PermissionDeniedError,
    "INVALID_PARAMETER_VALUE": errors.InvalidInputError,
    "BAD_REQUEST": errors.InvalidInputError,
    "RESOURCE_DOES_NOT_EXIST": errors.NotFoundError,
    "ENDPOINT_NOT_FOUND": errors.NotFoundError,
}


class Http:
    """A keep-alive connection pool to one server, thread-safe."""

    def __init__(self, base_url: str) -> None:
        import urllib3

        url = urllib3.util.parse_url(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise errors.InvalidInputError(
                f"tracking URI {base_url!r} is not a server URL; expected http://host:port"
            )
        self.base_url = base_url.rstrip("/")
        self.prefix = (url.path or "").rstrip("/")  # a server behind a path on a proxy
        pool = urllib3.HTTPSConnectionPool if url.scheme == "https" else urllib3.HTTPConnectionPool
        self.pool = pool(
            url.host, url.port, maxsize=16, block=False, retries=False,
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S),
        )
        self._health_timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=HEALTH_READ_TIMEOUT_S)
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        token = os.environ.get(TOKEN_ENV, "").strip()
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self._down_until = 0.0
        self._why = ""  # why it counts as down
        self._lock = threading.Lock()

    # -- the server's state -------------------------------------------------------------------
    @property
    def why(self) -> str:
        """Why the server last counted as down ('' if it never did)."""
        return self._why or "it did not answer"

    @property
    def down(self) -> bool:
        return time.monotonic() < self._down_until

    def mark_down(self, why: str) -> None:
        with self._lock:
            self._down_until = time.monotonic() + DOWN_S
            self._why = why

    def check(self) -> None:
        """Return if the server answers now (one try, no retry), else ServerUnreachableError."""
        import urllib3.exceptions as x

        try:
            answer = self.pool.request("GET", self.prefix + "/health", headers=self.headers, timeout=self._health_timeout)
        except (x.HTTPError, OSError) as exc:
            self.mark_down(_reason(exc))
            raise self.unreachable(_reason(exc), sent=False) from None
        if answer.status != 200:
            self.mark_down(f"HTTP {answer.status} from /health")
            raise self.unreachable(f"HTTP {answer.status} from /health", sent=False)
        with self._lock:
            self._down_until = 0.0

    def probe(self) -> bool:
        """Whether the server answers now; marks it up or down."""
        try:
            self.check()
        except ServerUnreachableError:
            return False
        return True

    # -- requests -------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        doc: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        again: Any = SAME,
        subject: str | None = None,
    ) -> dict[str, Any]:
        """One JSON request; the decoded answer.

        ``again`` is what to send instead after a failure that may have reached the server:
        ``SAME`` (the request is idempotent), another document, or None (do not retry).
        ``subject`` is the run a RunStateError is about.
        """
        body = dumps(doc) if doc is not None else None
        resend = again if again is SAME or again is None else dumps(again)
        answer = self.send(method, path, body, params=params, again=resend)
        data = answer.data
        if answer.status >= 400:
            raise from_answer(self.base_url, answer.status, data, subject)
        if not data:
            return {}
        found: dict[str, Any] = json.loads(data)
        return found

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        again: Any = SAME,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        """The raw answer to one request, after the retries described in the module doc.

        An error answer other than 5xx is returned, not raised (``from_answer`` turns it into
        our error). ``body`` may be bytes or a file object (rewound before a retry)."""
        import urllib3.exceptions as x

        if self.down:
            raise self.unreachable(f"{self._why}, a moment ago", sent=False)
        url = self.prefix + path + ("?" + urlencode(params, doseq=True) if params else "")
        all_headers = {**self.headers, **headers} if headers else self.headers
        sent, failed = False, False
        start = body.tell() if hasattr(body, "tell") else None
        why = ""
        for pause in (*BACKOFF, None):
            if start is not None:
                body.seek(start)
            try:
                answer = self.pool.urlopen(
                    method, url, body=body, headers=all_headers, preload_content=not stream,
                    redirect=False, assert_same_host=False,
                )
            except x.ConnectTimeoutError as exc:  # refused, no such host, no connection in time
                why = _reason(exc)
            except (x.HTTPError, OSError) as exc:  # cut off or timed out after sending
                why, sent = _reason(exc), True
            else:
                if answer.status < 500:
                    return answer
                why, sent, failed = _status_line(answer), True, answer.status not in _GATEWAY
                answer.release_conn()
            if pause is None or (sent and again is None):
                break
            if sent and again is not SAME:
                body = again
                start = body.tell() if hasattr(body, "tell") else None
            time.sleep(pause)
        if failed:  # the server itself failed: a bug or a store problem, not the network
            raise StoreError(f"the tracking server at {self.base_url} failed: {why}")
        self.mark_down(why)
        raise self.unreachable(why, sent=sent)

    def unreachable(self, why: str, *, sent: bool) -> ServerUnreachableError:
        return ServerUnreachableError(
            self.base_url,
            f"cannot reach the tracking server at {self.base_url} ({why}). Is `autolog server` "
            f"running there? Check the URL (AUTOLOG_TRACKING_URI) and the network.",
            sent=sent,
        )

    def close(self) -> None:
        self.pool.close()


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None) or exc.__cause__ or exc.__context__ or exc
    text = str(inner)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return text.split(": ", 1)[-1] if ": " in text else text or type(exc).__name__


def _status_line(answer: Any) -> str:
    try:
        message = json.loads(answer.data).get("message", "")
    except (ValueError, AttributeError):
        message = ""
    return f"HTTP {answer.status}" + (f": {message}" if message else "")


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")


def from_answer(url: str, status: int, data: bytes, subject: str | None = None) -> errors.AutologError:
    """Our exception for an error answer in MLflow's shape (``error_code`` and ``message``)."""
    try:
        doc = json.loads(data)
        code, message = str(doc.get("error_code", "")), str(doc.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "", data[:500].decode("utf-8", "replace")
    if code == "UNAUTHENTICATED" or status == 401:
        return errors.UnauthenticatedError(
            f"the tracking server at {url} needs a bearer token: set {TOKEN_ENV} to the "
            f"server's token ({message})"
        )
    if code == "INVALID_STATE":
        return errors.RunStateError(subject or "", message)
    if code == "INVALID_PARAMETER_VALUE" and message.startswith("param "):
        changed = param_changed(message)
        if changed is not None:
            return changed
    cls = _ERRORS.get(code)
    if cls is None:
        return StoreError(f"the tracking server at {url} answered HTTP {status} {code}: {message}")
    return cls(message)


def param_changed(message: str) -> errors.ParamChangedError | None:
    """The ParamChangedError whose message this is (old and new values back as attributes)."""
    import ast
    import re

    found = re.match(
        r"param (?P<key>'.*'|\".*\") of run (?P<run>\w+) is already (?P<old>'.*'|\".*\"); "
        r"cannot change it to (?P<new>'.*'|\".*\")\. Params are write-once",
        message, re.DOTALL,
    )
    if found is None:
        return None
    try:
        key, old, new = (ast.literal_eval(found.group(g)) for g in ("key", "old", "new"))
    except (ValueError, SyntaxError):
        return None
    return errors.ParamChangedError(found.group("run"), key, old, new)


def quote_path(path: str) -> str:
    """A relative artifact path for a URL (every segment percent-encoded, '/' kept)."""
    return quote(path, safe="/")


_pools: dict[str, Http] = {}
_pools_lock = threading.Lock()


def http_for(base_url: str) -> Http:
    """The process's pool for ``base_url`` (one per server, shared)."""
    key = base_url.rstrip("/")
    with _pools_lock:
        found = _pools.get(key)
        if found is None:
            found = _pools[key] = Http(key)
        return found


def forget_pools() -> None:
    """Close every pool (tests; after a fork the child opens its own)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


def _after_fork_in_child() -> None:
    # connections belong to the process that opened them
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
