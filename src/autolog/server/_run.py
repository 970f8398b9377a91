"""Binding and running uvicorn: one way for ``autolog server`` and ``autolog serve``.

The socket is bound here, before uvicorn starts, so that port 0 can be reported as the port
it became and a taken port fails with one clear line. Loopback is the default; listening on
another address is said out loud, with a warning when no token protects it.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

#: pending connections the kernel holds for us (the standard library's servers use 5)
BACKLOG = 2048


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    from autolog.errors import InvalidInputError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InvalidInputError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port "
            "(0 picks a free one) or stop what holds it"
        ) from None
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def exposure_note(host: str, protected: bool, what: str = "everything") -> None:
    """The line every start prints about who can reach the server."""
    if is_loopback(host):
        say("autolog: listening on this machine only (loopback); --host 0.0.0.0 listens on every interface")
    elif protected:
        say(f"autolog: listening on {host}: reachable from other machines, bearer token required")
    elif what == "everything":
        say(
            f"autolog: WARNING: listening on {host} without a token: anyone who can reach this "
            "machine can read and change everything; give --token-file, or bind 127.0.0.1"
        )
    else:
        say(f"autolog: listening on {host}: anyone who can reach this machine can query {what}")


def uvicorn_config(app: Any, workers: int = 1, access_log: bool = False, **options: Any) -> Any:
    """The uvicorn settings both servers share (httptools and uvloop when installed)."""
    import uvicorn

    return uvicorn.Config(
        app, factory=isinstance(app, str), workers=workers, access_log=access_log,
        log_level="info" if access_log else "warning", backlog=BACKLOG, timeout_keep_alive=30,
        server_header=False, lifespan="off" if not isinstance(app, str) else "auto", **options,
    )


def serve(app: Any, sock: socket.socket, workers: int = 1, access_log: bool = False, **options: Any) -> None:
    """Run uvicorn on the bound ``sock`` until interrupted (Ctrl-C or SIGTERM).

    ``app`` is an ASGI app for one worker, or an import string of an app factory for several
    (each worker builds its own app, so that no database connection crosses a fork).
    """
    import uvicorn

    config = uvicorn_config(app, workers, access_log, **options)
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[sock]).run()
        else:
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
