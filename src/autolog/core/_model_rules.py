"""Rules for registered model names, versions and aliases, shared by every backend."""

from __future__ import annotations

import re
from typing import Any

from autolog.errors import InvalidInputError

MAX_NAME = 256
MAX_ALIAS = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
# aliases that would read as a version in models:/name@alias or be confused with one
_VERSION_LIKE = re.compile(r"^(v\d+|\d+|latest)$", re.IGNORECASE)


def model_name(name: Any) -> str:
    """A registered model name: 1-256 characters, no '/', '@' or control characters."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"a registered model name must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME:
        raise InvalidInputError(
            f"a registered model name has at most {MAX_NAME} characters, got {len(name)}"
        )
    if "/" in name or "@" in name or _CONTROL.search(name):
        raise InvalidInputError(
            f"registered model name {name!r} may not contain '/', '@' or control characters: "
            "they would make models:/<name>/<version> and models:/<name>@<alias> ambiguous"
        )
    if name != name.strip():
        raise InvalidInputError(
            f"registered model name {name!r} has leading or trailing spaces; remove them"
        )
    return name


def version(value: Any) -> int:
    """A version number: a positive int, or its decimal text ('3')."""
    if isinstance(value, bool):
        raise InvalidInputError(f"a model version must be a positive integer, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise InvalidInputError(
            f"a model version must be a positive integer such as 3, got {value!r}"
        )
    if number < 1:
        raise InvalidInputError(f"model versions start at 1, got {number}")
    return number


def alias(name: Any) -> str:
    """An alias: a letter or '_' then letters, digits, '_' or '-'; never version-like."""
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"an alias must be a non-empty string, got {name!r}")
    if _VERSION_LIKE.match(name):
        raise InvalidInputError(
            f"alias {name!r} looks like a version: models:/<name>@{name} would be confused "
            "with models:/<name>/<version>. Choose a word such as 'champion' or 'staging'"
        )
    if len(name) > MAX_ALIAS or not _ALIAS.match(name):
        raise InvalidInputError(
            f"alias {name!r} is not allowed: use up to {MAX_ALIAS} letters, digits, '_' or '-', "
            "starting with a letter or '_' (for example 'champion')"
        )
    return name


def text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}")
    return value
