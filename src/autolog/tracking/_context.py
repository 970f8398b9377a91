"""Run context: who, where and from what code a run was started; readable run names.

Everything here is computed once per process (the pid once per fork) so that starting a run
stays cheap. Git is read from the ``.git`` files directly; only the dirty flag needs
``git status``, run once with a short timeout and only inside a repository.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING

from autolog.core import _tags

if TYPE_CHECKING:
    from pathlib import Path

# getpass, socket, platform, subprocess, pathlib and secrets are imported when first needed:
# `import autolog` must stay fast, and a process that never starts a run never needs them

_lock = threading.Lock()
_cached: dict[str, str] | None = None
_cached_pid: int | None = None
_GIT_TIMEOUT_S = 2.0


def user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without a passwd entry)
        return "unknown"


def system_tags() -> dict[str, str]:
    """The system tags of a new run in this process (a fresh copy each call)."""
    global _cached, _cached_pid
    pid = os.getpid()
    if _cached is None or _cached_pid != pid:
        with _lock:
            if _cached is None:
                _cached = _compute()
            _cached_pid = pid
            _cached[_tags.PID] = str(pid)
    return dict(_cached)


def _compute() -> dict[str, str]:
    import platform
    import socket
    from pathlib import Path

    from autolog._version import __version__

    tags = {
        _tags.USER: user(),
        _tags.HOST: socket.gethostname(),
        _tags.PYTHON_VERSION: platform.python_version(),
        _tags.AUTOLOG_VERSION: __version__,
    }
    source = _source_file()
    tags[_tags.SOURCE_NAME] = source or "<interactive>"
    tags[_tags.ENTRY_POINT] = " ".join([os.path.basename(sys.executable), *sys.argv]).strip()
    repo = _git_dir(Path(source).parent if source else Path.cwd())
    if repo is not None:
        commit = _git_head(repo)
        if commit:
            tags[_tags.GIT_COMMIT] = commit
            dirty = _git_dirty(repo.parent)
            if dirty is not None:
                tags[_tags.GIT_DIRTY] = "true" if dirty else "false"
    return tags


def _source_file() -> str | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if isinstance(path, str) and path:
        return os.path.abspath(path)
    if sys.argv and sys.argv[0] and os.path.isfile(sys.argv[0]):
        return os.path.abspath(sys.argv[0])
    return None


def _git_dir(start: Path) -> Path | None:
    """The ``.git`` directory of the repository containing ``start`` (None outside one)."""
    from pathlib import Path

    try:
        path = start.resolve()
    except OSError:
        return None
    for candidate in (path, *path.parents):
        git = candidate / ".git"
        if git.is_dir():
            return git
        if git.is_file():  # a worktree or submodule: "gitdir: <path>"
            try:
                text = git.read_text().strip()
            except OSError:
                return None
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:") :].strip())
                return target if target.is_absolute() else (candidate / target).resolve()
            return None
    return None


def _git_head(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None  # detached HEAD holds the commit itself
    ref = head[4:].strip()
    common = git_dir
    commondir = git_dir / "commondir"  # worktrees keep refs in the main repository
    if commondir.is_file():
        try:
            common = (git_dir / commondir.read_text().strip()).resolve()
        except OSError:
            pass
    for base in (git_dir, common):
        try:
            return (base / ref).read_text().strip()
        except OSError:
            pass
    try:
        for line in (common / "packed-refs").read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == ref:
                return parts[0]
    except OSError:
        pass
    return None  # a fresh repository without commits


def _git_dirty(work_tree: Path) -> bool | None:
    import subprocess

    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=work_tree,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no git binary or too slow: unknown, so no tag rather than a guess
    if result.returncode != 0:
        return None
    return bool(result.stdout.strip())


_ADJECTIVES = (
    "able amber bold brave bright calm clever cosmic crisp curious daring deft eager fair "
    "fancy fast fierce gentle glad grand happy honest jolly keen kind lively lucky merry "
    "mighty neat nimble noble polite proud quick quiet rapid sharp shiny silent sleek smart "
    "snowy solid spry steady sunny swift tidy tough vivid warm wise witty young zesty"
).split()
_ANIMALS = (
    "ant bat bear bee bison boar carp cat crab crane crow deer dingo dove duck eagle eel elk "
    "falcon ferret finch fox frog gecko goat goose hare hawk heron ibis jay koala lark lemur "
    "lion lynx mink mole moth newt owl otter panda pike puma quail raven seal shark sloth "
    "snail swan tiger toad trout viper wasp whale wolf wren yak zebra"
).split()


def run_name() -> str:
    """A readable run name such as 'brave-otter-417'."""
    import secrets

    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_ANIMALS)}-{secrets.randbelow(1000)}"
