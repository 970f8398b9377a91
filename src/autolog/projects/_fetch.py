"""Project URIs: a local directory or a git repository, at a version, with ``#subdir``.

- A URI with a scheme or ``host:`` before its first slash (``https://...``, ``ssh://...``,
  ``git@host:org/repo``, ``file:///srv/repo``) is a git repository; anything else is a local
  path. ``#sub/dir`` after either names the project inside it.
- A local directory runs in place. With ``version`` it must be a git repository, and that
  version is checked out from it like from any other repository.
- Git repositories are fetched with the ``git`` command into the cache: one mirror per URL
  (fetched again only when the version asked for is not a commit it already has) and one
  checkout per commit, reused by every later run of that commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from autolog.errors import ProjectError
from autolog.projects import _cache

_GIT_URI = re.compile(r"^[^/]*:")  # a scheme or scp-like host before the first slash
_FULL_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_GIT_TIMEOUT_S = 600


@dataclass(frozen=True)
class Source:
    """Where a project came from and the directory it runs in."""

    uri: str  # as the run records it: local paths absolute
    directory: str
    git_commit: str | None = None
    git_dirty: bool | None = None
    git_repo_url: str | None = None  # for a repository fetched by URL
    git_branch: str | None = None  # when the version asked for is a branch
    version: str | None = None
    in_place: bool = False  # a local directory that runs as it is

    def git(self) -> tuple[str | None, bool | None]:
        """(commit, dirty). For a directory run in place they are read from its repository
        when asked (after the command has started: ``git status`` takes a moment)."""
        if self.in_place:
            return _local_git(self.directory)
        return self.git_commit, self.git_dirty


def split_uri(uri: str) -> tuple[str, str]:
    """(repository or directory, subdirectory) from ``uri#subdir``; refuses a subdirectory
    that leaves the project."""
    if not isinstance(uri, str) or not uri.strip():
        raise ProjectError(f"a project URI must be a non-empty string, got {uri!r}")
    base, _, sub = uri.strip().strip("'\"").partition("#")
    sub = sub.strip("/")
    parts = sub.split("/") if sub else []
    if os.path.isabs(sub) or ".." in parts:
        raise ProjectError(f"the subdirectory {sub!r} of {uri!r} must stay inside the project")
    return base, sub


def is_git_uri(base: str) -> bool:
    return bool(_GIT_URI.match(base)) and not (len(base) > 1 and base[1] == ":" and os.name == "nt")


def fetch(uri: str, version: str | None = None) -> Source:
    """The project ``uri`` at ``version``, ready to run (raises ProjectError)."""
    base, sub = split_uri(uri)
    if is_git_uri(base):
        return _from_git(base, sub, version, display=uri)
    local = os.path.abspath(os.path.expanduser(base))
    if not os.path.isdir(local):
        raise ProjectError(f"project {uri!r}: {local} is not a directory")
    display = local + (f"#{sub}" if sub else "")
    if version is not None:
        if _git(["rev-parse", "--git-dir"], cwd=local, check=False) is None:
            raise ProjectError(
                f"--version {version!r} needs a git repository, and {local} is not in one"
            )
        top = _git(["rev-parse", "--show-toplevel"], cwd=local) or local
        inner = os.path.relpath(local, top)
        return _from_git(top, os.path.normpath(os.path.join(inner, sub)) if inner != "." else sub,
                         version, display=display)
    directory = os.path.join(local, sub)
    if not os.path.isdir(directory):
        raise ProjectError(f"project {uri!r}: the subdirectory {sub!r} does not exist in {local}")
    return Source(display, directory, in_place=True)


def _local_git(directory: str) -> tuple[str | None, bool | None]:
    """The commit and dirty flag of the repository holding a local project, if any."""
    from pathlib import Path

    from autolog.tracking import _context

    git_dir = _context._git_dir(Path(directory))
    if git_dir is None:
        return None, None
    commit = _context._git_head(git_dir)
    return commit, (_context._git_dirty(Path(directory)) if commit else None)


def _from_git(url: str, sub: str, version: str | None, display: str) -> Source:
    import hashlib  # here: most runs never need it, and it costs an import

    if shutil.which("git") is None:
        raise ProjectError(f"project {display!r} is a git repository, and the git command is not installed")
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    root = _cache.cache_dir("projects", "git", key)
    mirror = os.path.join(root, "mirror.git")
    with _cache.locked(os.path.join(root, "lock")):
        if not _cache.is_ready(mirror):
            _cache.discard(mirror)
            _git(["clone", "--mirror", "--quiet", url, mirror], what=f"cloning {url}")
            _cache.mark_ready(mirror)
        elif not (version and _FULL_SHA.match(version) and _commit(mirror, version)):
            # a branch or tag may have moved, a new commit may have arrived: ask the remote
            _git(["fetch", "--prune", "--quiet", "origin"], cwd=mirror, what=f"fetching {url}")
        commit = _commit(mirror, version or "HEAD")
        if commit is None:
            raise ProjectError(
                f"version {version!r} is not a commit, tag or branch of {url}"
                if version
                else f"{url} has no commits"
            )
        checkout = os.path.join(root, commit)
        if not _cache.is_ready(checkout):
            _cache.discard(checkout)
            _checkout(url, mirror, commit, checkout)
            _cache.mark_ready(checkout)
        branch = None
        if version and _git(["rev-parse", "--verify", "--quiet", f"refs/heads/{version}"],
                            cwd=mirror, check=False):
            branch = version
    directory = os.path.join(checkout, sub)
    if not os.path.isdir(directory):
        raise ProjectError(f"project {display!r}: {sub!r} is not a directory at commit {commit[:12]}")
    return Source(display, directory, git_commit=commit, git_dirty=False, git_repo_url=url,
                  git_branch=branch, version=version)


def _commit(mirror: str, ref: str) -> str | None:
    return _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=mirror, check=False)


def _checkout(url: str, mirror: str, commit: str, target: str) -> None:
    """A working tree of ``commit`` at ``target`` that shares the mirror's objects."""
    what = f"checking out {commit[:12]} of {url}"
    _git(["clone", "--quiet", "--shared", "--no-checkout", mirror, target], what=what)
    _git(["checkout", "--quiet", "--detach", commit], cwd=target, what=what)
    # relative submodule URLs resolve against origin: make origin the real repository
    _git(["remote", "set-url", "origin", url], cwd=target, what=what)
    if os.path.exists(os.path.join(target, ".gitmodules")):
        _git(["submodule", "update", "--init", "--recursive", "--quiet"], cwd=target,
             what=f"fetching the submodules of {url}")


def _git(args: list[str], cwd: str | None = None, *, check: bool = True, what: str = "") -> str | None:
    """Run git; its stdout stripped, or None when it fails and ``check`` is off."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=_GIT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        if not check:
            return None
        raise ProjectError(f"{what or 'git ' + args[0]} failed: {exc}") from exc
    if done.returncode != 0:
        if not check:
            return None
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ProjectError(f"{what or 'git ' + args[0]} failed: {' '.join(detail[-3:]) or 'exit ' + str(done.returncode)}")
    return done.stdout.strip()
