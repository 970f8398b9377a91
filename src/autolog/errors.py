"""Every exception autolog raises on purpose.

    AutologError
    ├── InvalidInputError (ValueError)         bad key, value, path or argument from the caller
    │   ├── ParamChangedError                  a param re-logged with another value
    │   ├── FilterSyntaxError                  search filter / order_by that does not parse
    │   ├── UnsafeArtifactPathError            an artifact path that leaves the run's root
    │   ├── SignatureInferenceError            example data whose signature cannot be inferred
    │   ├── AlreadyExistsError                 a name or id that is already taken
    │   └── RequestTooLargeError               a request to the server over its size limit
    ├── NotFoundError (LookupError)            unknown run / experiment / artifact / model
    │   └── UnknownFlavorError (KeyError)      a flavor name nobody registered
    ├── RunStateError                          logging to a finished or deleted run
    ├── PermissionDeniedError                  a server request its token does not allow
    │   └── UnauthenticatedError               a server request without a valid token
    ├── StoreError                             the backend failed or cannot be used
    │   ├── SchemaOutdatedError                database schema older than the code
    │   ├── BackgroundWriteError               a queued write failed in the background
    │   └── ServerUnreachableError             the tracking server cannot be reached
    ├── ModelError                             a model directory that cannot be used
    │   ├── IntegrityError                     a model file whose sha256 changed
    │   └── SignatureError (ValueError)        predict input that breaks the signature
    ├── FlavorUnavailable (ImportError)        a flavor whose library is not installed
    ├── MissingDependencyError (ImportError)   a feature whose optional extra is not installed
    └── ProjectError                           a project that cannot be fetched, set up or started

    AutologWarning (UserWarning)               what autolog warns about (tests make these errors)
    ├── PluginWarning                          a broken plugin, skipped
    ├── FormatConversionWarning                an extra model format that could not be written
    └── UntrustedPickleWarning                 a pickle-based model loaded from a non-local URI

Errors carry their subject (``.run_id``, ``.flavor``, ``.path``) so callers can act on them.
"""

from __future__ import annotations

__all__ = [
    "AutologError",
    "InvalidInputError",
    "ParamChangedError",
    "FilterSyntaxError",
    "UnsafeArtifactPathError",
    "SignatureInferenceError",
    "AlreadyExistsError",
    "RequestTooLargeError",
    "NotFoundError",
    "UnknownFlavorError",
    "RunStateError",
    "PermissionDeniedError",
    "UnauthenticatedError",
    "StoreError",
    "SchemaOutdatedError",
    "BackgroundWriteError",
    "ServerUnreachableError",
    "ModelError",
    "IntegrityError",
    "SignatureError",
    "FlavorUnavailable",
    "MissingDependencyError",
    "ProjectError",
    "AutologWarning",
    "PluginWarning",
    "FormatConversionWarning",
    "UntrustedPickleWarning",
]


class AutologError(Exception):
    """Base class of every error autolog raises on purpose."""


class InvalidInputError(AutologError, ValueError):
    """An argument from the caller breaks a rule; the message names the rule."""


class ParamChangedError(InvalidInputError):
    """A param was logged again with a different value (params are write-once)."""

    def __init__(self, run_id: str, key: str, old: str, new: str) -> None:
        self.run_id, self.key, self.old, self.new = run_id, key, old, new
        super().__init__(
            f"param {key!r} of run {run_id} is already {old!r}; cannot change it to {new!r}. "
            "Params are write-once: log the new value under another key, or start a new run."
        )


class FilterSyntaxError(InvalidInputError):
    """A search filter or order_by clause that does not parse; ``.column`` is 0-based."""

    def __init__(self, message: str, text: str = "", column: int = 0) -> None:
        self.text, self.column = text, column
        if text:
            message = f"{message} at column {column + 1}:\n  {text}\n  {' ' * column}^"
        super().__init__(message)


class UnsafeArtifactPathError(InvalidInputError):
    """An artifact path that would escape the run's artifact root."""

    def __init__(self, path: str, reason: str, hint: str | None = None) -> None:
        self.path = path
        hint = hint or (
            "Use a relative path inside the run's artifact root, such as 'plots/loss.svg'."
        )
        super().__init__(f"artifact path {path!r} is not allowed: {reason}. {hint}")


class SignatureInferenceError(InvalidInputError):
    """No signature can be inferred from the example data; ``.column`` names the culprit."""

    def __init__(self, message: str, column: str | None = None) -> None:
        self.column = column
        super().__init__(message)


class AlreadyExistsError(InvalidInputError):
    """A name or id that must be unique is already taken (an experiment, a registered model)."""


class RequestTooLargeError(InvalidInputError):
    """A request body over the server's limit; the message names the limit and the flag."""


class NotFoundError(AutologError, LookupError):
    """Something named by the caller does not exist."""


class UnknownFlavorError(NotFoundError, KeyError):
    """No flavor with that name is registered."""

    def __init__(self, flavor: str, known: list[str]) -> None:
        self.flavor = flavor
        super().__init__(
            f"no flavor named {flavor!r} is registered; known flavors: {', '.join(sorted(known)) or 'none'}"
        )

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class RunStateError(AutologError):
    """The run exists but cannot take this operation in its current state."""

    def __init__(self, run_id: str, message: str) -> None:
        self.run_id = run_id
        super().__init__(message)


class PermissionDeniedError(AutologError):
    """The server refuses this request to the token it came with (a read-only token writing)."""


class UnauthenticatedError(PermissionDeniedError):
    """The server needs a bearer token and the request had none, or a wrong one."""


class StoreError(AutologError):
    """The tracking or artifact backend failed or cannot be used."""


class SchemaOutdatedError(StoreError):
    """The database schema is older than this version of autolog."""

    def __init__(self, uri: str, current: str | None, head: str) -> None:
        self.uri, self.current, self.head = uri, current, head
        super().__init__(
            f"the tracking database at {uri} has schema revision {current or 'none'}, this autolog "
            f"needs {head}. Back it up, then upgrade it with:  autolog db upgrade {uri}"
        )


class BackgroundWriteError(StoreError):
    """A write queued by log_metric/log_param failed in the background writer."""


class ServerUnreachableError(StoreError):
    """The tracking server did not answer (refused, timed out, cut off, or a gateway error).

    ``.url`` is the server; ``.sent`` tells whether the request may have reached it (then it
    may have been applied, and is re-sent only in a form that cannot apply twice).
    """

    def __init__(self, url: str, message: str, sent: bool = False) -> None:
        self.url, self.sent = url, sent
        super().__init__(message)


class ModelError(AutologError):
    """A model directory that cannot be saved, read or served."""


class IntegrityError(ModelError):
    """A file of a model directory no longer matches its recorded sha256."""

    def __init__(self, path: str, expected: str, actual: str) -> None:
        self.path = path
        super().__init__(
            f"model file {path} was changed after it was saved (sha256 {actual[:12]}..., "
            f"recorded {expected[:12]}...). Refusing to load it; log the model again."
        )


class SignatureError(ModelError, ValueError):
    """Input given to predict does not match the model's signature."""


class FlavorUnavailable(AutologError, ImportError):
    """The library a flavor needs is not installed."""

    def __init__(self, flavor: str, message: str) -> None:
        self.flavor = flavor
        super().__init__(message)


class MissingDependencyError(AutologError, ImportError):
    """A feature needs an optional package that is not installed (``.package``; the extra
    that installs it: ``.extra``, as in ``pip install 'autolog[<extra>]'``)."""

    def __init__(self, package: str, extra: str, message: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(message)


class ProjectError(AutologError):
    """``autolog run``: a project that cannot be fetched, read, set up or started (a git
    version that is not there, an environment that cannot be built, a backend that refuses)."""


class AutologWarning(UserWarning):
    """Base class of the warnings autolog issues."""


class PluginWarning(AutologWarning):
    """A plugin (for example a third-party flavor) could not be used and was skipped."""


class FormatConversionWarning(AutologWarning):
    """One of several requested model formats could not be written; the others were."""


class UntrustedPickleWarning(AutologWarning):
    """A pickle-based model was loaded from a non-local URI: loading it runs its code."""
