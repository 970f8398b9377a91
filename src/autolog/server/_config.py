"""What one server process needs to know, handed to uvicorn's workers through the environment."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

#: the environment variable that carries the configuration to worker processes
CONFIG_ENV = "AUTOLOG_SERVER_CONFIG"

#: JSON request bodies larger than this are refused with 413
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
#: one artifact upload larger than this is refused with 413
DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024**3


@dataclass(frozen=True)
class ServerConfig:
    """The server's settings: where it stores, who may talk to it, how much it accepts.

    ``artifacts_destination`` is the root every proxied artifact lives under (a directory or
    an fsspec URL); None means the backend store's own artifact root. Token files hold one
    token on their first line; with ``token_file`` set every request needs
    ``Authorization: Bearer <token>``, and a ``read_token_file`` token may only read.
    """

    backend_store_uri: str
    artifacts_destination: str | None = None
    token_file: str | None = None
    read_token_file: str | None = None
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServerConfig:
        text = os.environ.get(CONFIG_ENV)
        if not text:
            raise RuntimeError(f"{CONFIG_ENV} is not set; start the server with `autolog server`")
        return cls(**json.loads(text))


def read_token(path: str | None) -> str | None:
    """The token in the first line of ``path`` (None when no file is given)."""
    if path is None:
        return None
    with open(path, encoding="utf-8") as handle:
        token = handle.readline().strip()
    if len(token) < 16:
        from autolog.errors import InvalidInputError

        raise InvalidInputError(
            f"the token in {path} is {'empty' if not token else 'shorter than 16 characters'}; "
            "put a long random token on its first line, e.g. from: python -c "
            "'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return token
