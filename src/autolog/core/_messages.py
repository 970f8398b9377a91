"""Registry error messages that say what exists, shared by the backends."""

from __future__ import annotations

from collections.abc import Iterable

from autolog.errors import InvalidInputError, NotFoundError

_SHOWN = 20


def _listing(items: Iterable[object]) -> str:
    names = [str(i) for i in items]
    if not names:
        return "none"
    more = f", ... ({len(names) - _SHOWN} more)" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def no_model(name: str, existing: Iterable[str]) -> NotFoundError:
    return NotFoundError(
        f"no registered model named {name!r}; registered models: {_listing(sorted(existing))}"
    )


def no_version(name: str, version: int, existing: Iterable[int]) -> NotFoundError:
    return NotFoundError(
        f"registered model {name!r} has no version {version}; "
        f"its versions: {_listing(sorted(existing))}"
    )


def no_alias(name: str, alias: str, existing: dict[str, int]) -> NotFoundError:
    shown = _listing(f"{a} -> {v}" for a, v in sorted(existing.items()))
    return NotFoundError(f"registered model {name!r} has no alias {alias!r}; its aliases: {shown}")


def no_tag(subject: str, key: str, existing: Iterable[str]) -> NotFoundError:
    return NotFoundError(f"{subject} has no tag {key!r}; its tags: {_listing(sorted(existing))}")


def version_used(name: str, version: int, next_version: int) -> InvalidInputError:
    return InvalidInputError(
        f"registered model {name!r} cannot take version {version}: it has used the numbers "
        f"below {next_version} already, and a number is never reused; ask for "
        f"{next_version} or higher, or leave the version out"
    )
