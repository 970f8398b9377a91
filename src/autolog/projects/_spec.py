"""The ``MLproject`` file, read the way MLflow reads it, and the command an entry point runs.

- The file is ``MLproject`` in the project directory (any case). Its keys: ``name``, one
  environment (``python_env``, ``conda_env`` or ``docker_env``), and ``entry_points``, each
  with ``parameters`` and a ``command``. Without the file (or without an environment key) a
  ``python_env.yaml`` beside it is the environment, else a ``conda.yaml``.
- A parameter is written as its type alone (``data: path``, no default: the value is
  required) or as ``{type: float, default: 0.1}``. Types: ``string``, ``float``, ``int``,
  ``path``, ``uri`` (``str`` and ``integer`` are read as string and int; any other type name
  is passed through as a string, as MLflow does).
- The command is a template: ``{name}`` is replaced by the parameter's value quoted for the
  shell, so no value can add a shell command. Parameters the entry point does not declare are
  appended as ``--name value``.
- An entry point that is not in the file but names a ``.py`` or ``.sh`` file of the project
  runs that file (``python file.py`` / ``$SHELL file.sh``), every parameter as ``--name value``.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autolog.errors import InvalidInputError, ProjectError

FILE_NAME = "mlproject"  # compared case-insensitively
DEFAULT_PYTHON_ENV = "python_env.yaml"
DEFAULT_CONDA_ENV = "conda.yaml"
ENV_KEYS = ("python_env", "conda_env", "docker_env")

TYPES = ("string", "float", "int", "path", "uri")
_ALIASES = {"str": "string", "integer": "int"}
# parameter names become shell words and param keys: keep them plain
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Parameter:
    """A declared parameter of an entry point."""

    name: str
    type: str  # one of TYPES, or an unknown name that is treated as a string
    default: str | None = None  # None: a value must be given

    def check(self, value: str, base: str | None = None) -> str:
        """The value to put into the command; raises InvalidInputError naming the parameter,
        its type and the value when the value does not fit the type. A local ``path`` becomes
        absolute (relative to ``base``, default the current directory; it must exist); a
        remote one (``s3://...``) is downloaded."""
        if self.type == "float":
            try:
                float(value)
            except ValueError:
                raise self._refuse(value, "a number such as 0.5 or 1e-3") from None
        elif self.type == "int":
            try:
                int(value, 10)
            except ValueError:
                raise self._refuse(value, "a whole number such as 10") from None
        elif self.type == "uri":
            if not _has_scheme(value):
                raise self._refuse(value, "a URI with a scheme, such as s3://bucket/data or file:///data")
        elif self.type == "path":
            if not _is_local(value):
                return _download(self.name, value)
            path = os.path.abspath(
                os.path.join(base or os.getcwd(), os.path.expanduser(value.removeprefix("file://")))
            )
            if not os.path.exists(path):
                raise InvalidInputError(
                    f"parameter {self.name!r} (type path) is {value!r}, but no such file or "
                    f"directory exists (looked for {path})"
                )
            return path
        return value

    def _refuse(self, value: str, expected: str) -> InvalidInputError:
        return InvalidInputError(
            f"parameter {self.name!r} has type {self.type} but the value {value!r} is not one: "
            f"expected {expected}"
        )


@dataclass(frozen=True)
class EntryPoint:
    """A named command of the project with its declared parameters."""

    name: str
    command: str
    parameters: dict[str, Parameter] = field(default_factory=dict)

    def call(self, given: Mapping[str, Any], directory: str) -> Call:
        """The run's parameters and the command for the caller's ``given`` values: defaults
        filled in, every value checked against its type (all problems reported at once),
        values quoted into the command template, undeclared ones appended as --name value.

        A relative ``path`` given by the caller is relative to the current directory (as in
        MLflow); a relative default is relative to the project ``directory``."""
        texts = {_check_name(name): _text(name, value) for name, value in given.items()}
        problems: list[str] = []
        missing = [n for n, p in self.parameters.items() if n not in texts and p.default is None]
        if missing:
            problems.append(
                f"entry point {self.name!r} needs a value for {', '.join(map(repr, missing))} "
                f"(pass {' '.join(f'-P {n}=...' for n in missing)})"
            )
        params: dict[str, str] = {}
        resolved: dict[str, str] = {}
        for name, param in self.parameters.items():
            value = texts.get(name, param.default)
            if value is None:
                continue
            params[name] = value
            try:
                resolved[name] = param.check(value, None if name in texts else directory)
            except InvalidInputError as exc:
                problems.append(str(exc))
        if problems:
            raise InvalidInputError("; ".join(problems))
        extra = {name: value for name, value in texts.items() if name not in self.parameters}
        params.update(extra)
        quoted = {name: shlex.quote(value) for name, value in resolved.items()}
        try:
            command = self.command.format(**quoted)
        except (KeyError, IndexError, ValueError) as exc:
            raise ProjectError(
                f"the command of entry point {self.name!r} is not a valid template ({exc!r}): "
                f"{self.command!r}. Every {{name}} must be a declared parameter; write a literal "
                "brace as {{ or }}"
            ) from None
        parts = [command] + [f"--{name} {shlex.quote(value)}" for name, value in extra.items()]
        return Call(params, " ".join(parts))


@dataclass(frozen=True)
class Call:
    """What one run of an entry point is: its parameters (as given, defaults filled in; the
    run logs them) and the shell command."""

    params: dict[str, str]
    command: str


@dataclass(frozen=True)
class Project:
    """A project directory as its ``MLproject`` file (or the lack of one) describes it."""

    directory: str
    name: str
    entry_points: dict[str, EntryPoint]
    env_kind: str | None = None  # "python_env", "conda_env", "docker_env" or None
    env_file: str | None = None  # the environment file (python_env / conda_env)

    def entry_point(self, name: str) -> EntryPoint:
        """The entry point ``name``, or a ``.py``/``.sh`` file of the project run directly."""
        found = self.entry_points.get(name)
        if found is not None:
            return found
        ext = os.path.splitext(name)[1]
        if ext in (".py", ".sh"):
            path = os.path.join(self.directory, name)
            if not os.path.isfile(path):
                raise InvalidInputError(
                    f"entry point {name!r} names a file that is not in the project {self.directory}"
                )
            runner = "python" if ext == ".py" else os.environ.get("SHELL") or "bash"
            return EntryPoint(name, f"{runner} {shlex.quote(name)}")
        declared = sorted(self.entry_points)
        scripts = sorted(
            f for f in os.listdir(self.directory) if os.path.splitext(f)[1] in (".py", ".sh")
        )
        raise InvalidInputError(
            f"project {self.name!r} has no entry point {name!r}: its MLproject declares "
            f"{', '.join(declared) or 'none'}, and a .py or .sh file of the project can be run "
            f"by its name ({', '.join(scripts[:10]) or 'there is none'})"
        )


def load(directory: str) -> Project:
    """Read the project in ``directory``; raise ProjectError for a file that cannot be used."""
    if not os.path.isdir(directory):
        raise ProjectError(f"the project directory {directory} does not exist")
    spec_file = next(
        (os.path.join(directory, f) for f in sorted(os.listdir(directory)) if f.lower() == FILE_NAME),
        None,
    )
    data: Any = {}
    if spec_file is not None:
        import yaml

        try:
            with open(spec_file, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        except yaml.YAMLError as exc:
            raise ProjectError(f"{spec_file} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ProjectError(f"{spec_file} must be a YAML mapping (name, entry_points, ...)")
    where = spec_file or directory
    name = str(data.get("name") or os.path.basename(os.path.normpath(directory)))
    entry_points = {
        str(ep_name): _entry_point(str(ep_name), body, where)
        for ep_name, body in (_mapping(data.get("entry_points"), "entry_points", where)).items()
    }
    env_kind, env_file = _environment(directory, data, where)
    return Project(directory, name, entry_points, env_kind, env_file)


def _environment(directory: str, data: dict[str, Any], where: str) -> tuple[str | None, str | None]:
    present = [key for key in ENV_KEYS if data.get(key)]
    if len(present) > 1:
        raise ProjectError(f"{where} declares several environments ({', '.join(present)}); keep one")
    if present == ["docker_env"]:
        return "docker_env", None
    if present:
        key = present[0]
        path = os.path.join(directory, str(data[key]))
        if not os.path.isfile(path):
            raise ProjectError(f"{where} names the {key} file {data[key]!r}, but {path} is missing")
        return key, path
    for key, default in (("python_env", DEFAULT_PYTHON_ENV), ("conda_env", DEFAULT_CONDA_ENV)):
        path = os.path.join(directory, default)
        if os.path.isfile(path):
            return key, path
    return None, None


def _entry_point(name: str, body: Any, where: str) -> EntryPoint:
    body = _mapping(body, f"entry point {name!r}", where)
    command = body.get("command")
    if not isinstance(command, str) or not command.strip():
        raise ProjectError(f"entry point {name!r} in {where} has no command")
    params = {}
    for param_name, spec in _mapping(body.get("parameters"), f"parameters of {name!r}", where).items():
        param_name = str(param_name)
        if isinstance(spec, str):
            kind, default = spec, None
        elif isinstance(spec, dict):
            kind, default = str(spec.get("type", "string")), spec.get("default")
        else:
            raise ProjectError(
                f"parameter {param_name!r} of entry point {name!r} in {where} must be a type "
                f"name or a mapping with type and default, got {spec!r}"
            )
        kind = _ALIASES.get(kind, kind)
        params[param_name] = Parameter(param_name, kind, None if default is None else str(default))
    return EntryPoint(name, command, params)


def _mapping(value: Any, what: str, where: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProjectError(f"{what} in {where} must be a mapping, got {type(value).__name__}")
    return value


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError(
            f"parameter name {name!r} is not allowed: use letters, digits, '_', '-' and '.'"
        )
    return name


def _text(name: str, value: Any) -> str:
    if isinstance(value, os.PathLike):
        return str(os.fspath(value))
    if value is None or isinstance(value, (dict, list, tuple, set)):
        raise InvalidInputError(
            f"parameter {name!r} must be a string or a number, got {type(value).__name__} {value!r}"
        )
    return str(value)


def _has_scheme(value: str) -> bool:
    from urllib.parse import urlparse

    return bool(urlparse(value).scheme)


def _is_local(value: str) -> bool:
    """A path on this machine: no scheme, or file://."""
    from urllib.parse import urlparse

    scheme = urlparse(value).scheme
    return scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt")


def _download(name: str, uri: str) -> str:
    """A remote ``path`` value (``s3://bucket/data.csv``) copied to a new local directory."""
    try:
        import fsspec
    except ImportError:
        raise ProjectError(
            f"parameter {name!r} is the remote path {uri!r}; downloading it needs fsspec: "
            "pip install 'autolog[s3]'"
        ) from None
    import posixpath
    import tempfile

    try:
        fs, path = fsspec.core.url_to_fs(uri)
        target = os.path.join(
            tempfile.mkdtemp(prefix="autolog-param-"), posixpath.basename(path.rstrip("/")) or "data"
        )
        fs.get(path, target, recursive=fs.isdir(path))
    except Exception as exc:  # any file system's own error: say which parameter it was
        raise ProjectError(f"parameter {name!r}: could not download {uri!r}: {exc}") from exc
    return target
