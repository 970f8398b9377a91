"""The environment a project's command runs in: ``local``, ``virtualenv`` or ``uv``.

- ``local``: the interpreter running autolog (its directory goes first on PATH, so ``python``
  in a command is this interpreter). The default; it ignores the project's environment file.
- ``virtualenv`` / ``uv``: a new environment built from the project's ``python_env.yaml``
  (``python`` version, ``build_dependencies``, ``dependencies`` as pip requirement lines, ``-r
  file`` relative to the yaml), cached under a hash of everything that decides its contents
  and reused by every later run with the same hash.
- ``conda_env`` projects run only with ``local`` named explicitly; ``docker_env`` projects
  are refused: autolog builds neither.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from autolog.errors import ProjectError
from autolog.projects import _cache

MANAGERS = ("local", "virtualenv", "uv")
_BIN = "Scripts" if os.name == "nt" else "bin"

Output = Callable[[bytes], None]


@dataclass(frozen=True)
class PythonEnv:
    """The contents of a ``python_env.yaml``."""

    python: str | None = None
    build_dependencies: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    base_dir: str = "."  # ``-r requirements.txt`` lines are relative to it

    @classmethod
    def read(cls, path: str) -> PythonEnv:
        import yaml

        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ProjectError(f"cannot read the python_env file {path}: {exc}") from None
        if not isinstance(data, dict):
            raise ProjectError(f"{path} must be a mapping with python, build_dependencies, dependencies")

        def lines(key: str) -> tuple[str, ...]:
            value = data.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
                raise ProjectError(f"{key} in {path} must be a list of pip requirement lines")
            return tuple(str(v).strip() for v in value if str(v).strip())

        python = data.get("python")
        return cls(
            python=None if python is None else str(python),
            build_dependencies=lines("build_dependencies"),
            dependencies=lines("dependencies"),
            base_dir=os.path.dirname(os.path.abspath(path)),
        )

    def requirement_lines(self) -> list[str]:
        """``dependencies`` with ``-r file`` lines replaced by that file's lines (for a
        backend that installs them elsewhere, where the files are not)."""
        return _read_requirements(list(self.dependencies), self.base_dir)[0]


@dataclass(frozen=True)
class Environment:
    """How a project's command gets its Python: the manager and the project's spec."""

    manager: str
    spec: PythonEnv = field(default_factory=PythonEnv)

    def check(self) -> None:
        """Refuse now, before anything runs, what ``prepare`` could not do."""
        if self.manager == "virtualenv":
            self._interpreter()
        elif self.manager == "uv":
            self._uv()

    def prepare(self, output: Output) -> dict[str, str]:
        """Make the environment exist on this machine (building it, or reusing the cached
        one) and return the variables to set for a process that runs in it; the build's
        output goes to ``output``."""
        if self.manager == "local":
            return {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
        root = _cache.cache_dir("projects", "envs")
        entry = os.path.join(root, f"{self.manager}-{self.key()}")
        with _cache.locked(entry + ".lock"):
            if _cache.is_ready(entry):
                output(f"autolog: reusing the {self.manager} environment {entry}\n".encode())
            else:
                _cache.discard(entry)
                output(f"autolog: building the {self.manager} environment {entry}\n".encode())
                try:
                    self._build(entry, output)
                except BaseException:
                    _cache.discard(entry)
                    raise
                _cache.mark_ready(entry)
        return {
            "PATH": os.path.join(entry, _BIN) + os.pathsep + os.environ.get("PATH", ""),
            "VIRTUAL_ENV": entry,
        }

    def key(self) -> str:
        """A hash of everything that decides what the environment holds."""
        import hashlib  # here: most runs never need it, and it costs an import

        spec = self.spec
        decided: dict[str, Any] = {
            "manager": self.manager,
            "python": spec.python,
            "build": list(spec.build_dependencies),
            "deps": list(spec.dependencies),
            # the files that -r / -c lines name: editing them changes the environment
            "files": _read_requirements(list(spec.dependencies), spec.base_dir)[1],
        }
        if self.manager == "virtualenv":
            decided["interpreter"] = self._interpreter()
        text = json.dumps(decided, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    # -- building ------------------------------------------------------------------------------
    def _build(self, entry: str, output: Output) -> None:
        spec = self.spec
        if self.manager == "uv":
            uv = self._uv()
            _stream([uv, "venv", "--quiet", "--python", spec.python or sys.executable, entry], output, "uv venv")
            python = os.path.join(entry, _BIN, "python")
            install = [uv, "pip", "install", "--python", python]
        else:
            interpreter = self._interpreter()
            import importlib.util

            if importlib.util.find_spec("virtualenv") is not None:
                create = [sys.executable, "-m", "virtualenv", "--quiet", "--python", interpreter, entry]
            else:  # the standard library's venv: slower (it installs pip itself), same result
                create = [interpreter, "-m", "venv", entry]
            _stream(create, output, "creating the virtualenv")
            python = os.path.join(entry, _BIN, "python")
            install = [python, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"]
        if spec.build_dependencies:
            _stream([*install, *spec.build_dependencies], output, "installing build_dependencies", spec.base_dir)
        if spec.dependencies:
            _stream([*install, *_split_options(spec.dependencies)], output, "installing dependencies", spec.base_dir)

    def _interpreter(self) -> str:
        """The Python the virtualenv is made from: this one, or pythonX.Y on PATH."""
        wanted = _major_minor(self.spec.python)
        if wanted is None or wanted == sys.version_info[:2]:
            return sys.executable
        name = f"python{wanted[0]}.{wanted[1]}"
        found = shutil.which(name)
        if found is None:
            raise ProjectError(
                f"the project's python_env asks for Python {self.spec.python}, and {name} is not "
                f"on PATH (this is Python {sys.version_info[0]}.{sys.version_info[1]}). Install "
                "it, or use --env-manager uv, which finds or installs Pythons itself"
            )
        return found

    def _uv(self) -> str:
        # pip install uv puts it beside this interpreter, which need not be on PATH
        beside = os.path.join(os.path.dirname(sys.executable), "uv")
        found = shutil.which("uv") or (beside if os.access(beside, os.X_OK) else None)
        if found is None:
            raise ProjectError("--env-manager uv needs the uv command: pip install uv")
        return found


def for_project(env_kind: str | None, env_file: str | None, manager: str | None) -> Environment:
    """The environment for a project whose environment is ``env_kind`` (from its MLproject),
    with the manager the caller asked for (None: the default, local)."""
    if manager is not None and manager not in MANAGERS:
        raise ProjectError(
            f"unknown environment manager {manager!r}; use one of {', '.join(MANAGERS)} "
            "(conda and docker are not supported)"
        )
    if env_kind == "docker_env":
        raise ProjectError(
            "this project runs in a docker_env, which autolog run does not support; run its "
            "command in the image yourself, or give the project a python_env.yaml"
        )
    if env_kind == "conda_env":
        if manager != "local":
            raise ProjectError(
                f"this project declares a conda environment ({env_file}), which autolog run does "
                "not build. Run it in the current interpreter with --env-manager local, or "
                "describe it in a python_env.yaml (python version and pip dependencies)"
            )
        return Environment("local")
    spec = PythonEnv.read(env_file) if env_kind == "python_env" and env_file else PythonEnv()
    return Environment(manager or "local", spec)


def _major_minor(version: str | None) -> tuple[int, int] | None:
    if not version:
        return None
    parts = version.strip().split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise ProjectError(f"python: {version!r} in python_env.yaml is not a version like 3.11") from None


def _split_options(lines: tuple[str, ...]) -> list[str]:
    """Requirement lines as pip arguments: ``-r file`` becomes two arguments."""
    args: list[str] = []
    for line in lines:
        if line.startswith("-") and " " in line:
            option, value = line.split(None, 1)
            args.extend([option, value.strip()])
        else:
            args.append(line)
    return args


def _file_option(line: str) -> str | None:
    for option in ("-r", "--requirement", "-c", "--constraint"):
        if line.startswith(option + " ") or line.startswith(option + "="):
            return line[len(option) + 1 :].strip()
    return None


def _read_requirements(
    lines: list[str], base: str, seen: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """(the requirement lines with ``-r file`` replaced by that file's lines, {path: text} of
    every file a ``-r``/``-c`` line names, recursively)."""
    files: dict[str, str] = {} if seen is None else seen
    out: list[str] = []
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        name = _file_option(line)
        if name is None:
            out.append(line)
            continue
        path = os.path.normpath(os.path.join(base, name))
        if path in files:
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                files[path] = handle.read()
        except OSError:
            raise ProjectError(
                f"the python_env names the requirements file {name}, and {path} is missing"
            ) from None
        inner, _ = _read_requirements(files[path].splitlines(), os.path.dirname(path), files)
        if not line.startswith(("-c", "--constraint")):
            out.extend(inner)
    return out, files


def _stream(command: list[str], output: Output, what: str, cwd: str | None = None) -> None:
    """Run a build step, its output going to ``output``; ProjectError when it fails."""
    try:
        process = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    except OSError as exc:
        raise ProjectError(f"{what} failed: {exc}") from exc
    assert process.stdout is not None
    with process.stdout:
        for chunk in chunks(process.stdout):
            output(chunk)
    code = process.wait()
    if code != 0:
        raise ProjectError(f"{what} failed ({command[0]} exited with {code}); its output is in the run's output")


def chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """What a process writes to the pipe ``stream``, as it comes, until it closes."""
    fd = stream.fileno()
    while True:
        data = os.read(fd, 65536)
        if not data:
            return
        yield data
