"""Rules for keys and values of params, metrics and tags; cheap enough for the hot path.

Stores may call these too, so a bad key gets the same message whichever way it arrives.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Final

from autolog.errors import InvalidInputError

MAX_KEY_LENGTH: Final = 250
MAX_PARAM_VALUE_LENGTH: Final = 6000

# keys validated once per process; bounded so a key per step cannot grow it forever
_valid_keys: set[str] = set()
_VALID_KEYS_MAX: Final = 100_000


def check_key(key: Any, what: str = "key") -> str:
    """Return ``key`` if it is a usable param/metric/tag name, else raise InvalidInputError."""
    if isinstance(key, str) and key in _valid_keys:  # the common case: a key seen before
        return key
    if not isinstance(key, str):
        raise InvalidInputError(
            f"{what} must be a string, got {type(key).__name__} {key!r}; pass str({key!r}) "
            "if that is the name you meant"
        )
    rule = _broken_rule(key)
    if rule is not None:
        raise InvalidInputError(f"invalid {what} {key!r}: {rule}")
    if len(_valid_keys) >= _VALID_KEYS_MAX:
        _valid_keys.clear()
    _valid_keys.add(key)
    return key


def _broken_rule(key: str) -> str | None:
    if not key:
        return "it is empty; use a non-empty name such as 'learning_rate'"
    if len(key) > MAX_KEY_LENGTH:
        return f"it has {len(key)} characters, at most {MAX_KEY_LENGTH} are allowed"
    if key.startswith("/"):
        return "it starts with '/'; names are relative, like 'loss/train'"
    if ".." in key.split("/"):
        return "it contains a '..' path segment; use a name without '..' between slashes"
    for position, char in enumerate(key):
        if char < " " or char == "\x7f":
            return (
                f"it contains the control character {char!r} at position {position}; "
                "use printable characters only"
            )
    return None


def param_value(key: str, value: Any) -> str:
    """The string stored for a param value; too long -> InvalidInputError (never truncated)."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidInputError(
            f"value of param {key!r} has {len(text)} characters, at most "
            f"{MAX_PARAM_VALUE_LENGTH} are allowed (it is not truncated); log long text as an "
            "artifact with log_text() instead"
        )
    return text


def tag_value(key: str, value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def metric_value(key: str, value: Any) -> float:
    """A metric value as float: ints, floats and numeric scalars (numpy, 0-d tensors).

    NaN and +/-inf are accepted and stored as such. Strings, bools and None are refused
    with a TypeError, since silently converting them hides bugs.
    """
    cls = type(value)
    if cls is float:
        return value  # type: ignore[no-any-return]
    if cls is int:
        return float(value)
    if (
        isinstance(value, (str, bytes, bool))
        or value is None
        or cls.__name__ in ("bool_", "bool")  # numpy.bool_ would convert to 0.0/1.0
        or not hasattr(value, "__float__")
    ):
        raise TypeError(
            f"value of metric {key!r} must be a number (int, float or a numeric scalar), "
            f"got {cls.__name__} {value!r}"
        )
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"value of metric {key!r} must be a single number, got {cls.__name__} {value!r} "
            f"({exc})"
        ) from exc


def step(key: str, value: Any) -> int:
    """A metric step: an int (numpy ints too); None means 0."""
    if value is None:
        return 0
    if type(value) is int:
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(
            f"step of metric {key!r} must be an int, got {type(value).__name__} {value!r}"
        )
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"step of metric {key!r} must be an int, got {type(value).__name__} {value!r}"
        ) from None


def timestamp(key: str, value: Any) -> int:
    """A metric timestamp in milliseconds since the epoch (an int)."""
    if type(value) is int:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, bool):
        raise TypeError(f"timestamp of metric {key!r} must be milliseconds as an int, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"timestamp of metric {key!r} must be milliseconds since the epoch as an int, "
            f"got {type(value).__name__} {value!r}"
        ) from None
