"""Fixtures shared by the whole suite. Each test runs against its own tracking directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_tracking(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test records into its own fresh directory and starts with no active run.

    Afterwards the fluent state (active runs, URI, experiment, background writer, cached
    stores) is forgotten without writing anything to the store.
    """
    import sys

    from autolog.tracking._fluent import _reset_state

    _reset_state()
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path_factory.mktemp("autolog-runs")))
    monkeypatch.delenv("AUTOLOG_EXPERIMENT_NAME", raising=False)
    # the remote store's spool never lands in the home directory
    monkeypatch.setenv("AUTOLOG_SPOOL_DIR", str(tmp_path_factory.mktemp("autolog-spool")))
    monkeypatch.delenv("AUTOLOG_MODE", raising=False)
    monkeypatch.delenv("AUTOLOG_TRACKING_TOKEN", raising=False)
    yield
    _reset_state()
    if "autolog.store.rest._link" in sys.modules:  # open connections, links and spools
        sys.modules["autolog.store.rest._link"].forget_links()


S3_BUCKET = "autolog-test"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 endpoint on loopback (moto's server mode) with the bucket ``autolog-test``.

    Sets dummy AWS credentials, region and ``AWS_ENDPOINT_URL`` for this test process only
    (restored afterwards), yields the endpoint URL and stops the server at the end.
    Use ``s3://autolog-test/<unique prefix>`` roots.
    """
    import botocore.session
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": url,
        }.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        client = botocore.session.get_session().create_client("s3", endpoint_url=url)
        client.create_bucket(Bucket=S3_BUCKET)
        client.close()
        try:
            yield url
        finally:
            import s3fs

            # cached file systems hold clients bound to this endpoint
            s3fs.S3FileSystem.clear_instance_cache()
            server.stop()


# -- PostgreSQL ---------------------------------------------------------------------------------


def _postgres_binaries() -> tuple[str, str] | None:
    """(initdb, pg_ctl) from /usr/local/bin, Debian's /usr/lib/postgresql/*/bin, or PATH."""
    import glob
    import os
    import shutil

    dirs = ["/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    found = []
    for name in ("initdb", "pg_ctl"):
        paths = [os.path.join(d, name) for d in dirs] + [shutil.which(name) or ""]
        found.append(next((p for p in paths if p and os.access(p, os.X_OK)), None))
    return (found[0], found[1]) if found[0] and found[1] else None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(*command: str) -> list[str]:
    import os

    # initdb refuses to run as root: run the server binaries as the postgres user
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server started for this session (initdb + pg_ctl in a temp dir).

    Yields ``postgresql+psycopg://postgres@127.0.0.1:PORT`` (no database); the server is
    stopped and its directory removed at the end. Skips when the server binaries are missing,
    except under CI, where it fails and says how to install them.
    """
    import os
    import shutil
    import subprocess
    import tempfile

    binaries = _postgres_binaries()
    if binaries is None:
        message = (
            "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/local/bin, "
            "/usr/lib/postgresql/*/bin or PATH; install the Debian package 'postgresql' "
            "(make system-deps)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    initdb, pg_ctl = binaries
    root = tempfile.mkdtemp(prefix="autolog-pg-")
    data = os.path.join(root, "data")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    run = {"check": True, "capture_output": True, "text": True}
    started = False
    try:
        init = [initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]
        try:
            subprocess.run(_as_postgres(*init, "--locale=C.UTF-8"), **run)  # type: ignore[call-overload]
        except subprocess.CalledProcessError:  # a system without that locale
            shutil.rmtree(data, ignore_errors=True)
            subprocess.run(_as_postgres(*init, "--no-locale"), **run)  # type: ignore[call-overload]
        for attempt in range(3):  # another process may take the free port first
            port = _free_port()
            options = f"-h 127.0.0.1 -p {port} -k {root} -F -c full_page_writes=off"
            start = [pg_ctl, "-D", data, "-l", os.path.join(root, "log"), "-w", "-t", "60"]
            result = subprocess.run(_as_postgres(*start, "-o", options, "start"), capture_output=True, text=True)
            if result.returncode == 0:
                started = True
                break
        if not started:
            with open(os.path.join(root, "log")) as log:
                pytest.fail(f"PostgreSQL did not start: {result.stderr}\n{log.read()[-2000:]}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        if started:
            subprocess.run(_as_postgres(pg_ctl, "-D", data, "-m", "fast", "-w", "stop"), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _create_database(server: str, name: str, template: str = "template1") -> str:
    import psycopg

    with psycopg.connect(server.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{server}/{name}"


@pytest.fixture(scope="session")
def _postgres_template(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A database at the schema head to copy from, and the artifact root its Default uses."""
    from autolog.store.sql import SqlStore

    artifacts = str(tmp_path_factory.mktemp("postgres-artifacts"))
    uri = _create_database(postgres_server, "autolog_template")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOLOG_ARTIFACT_ROOT", artifacts)
        SqlStore.from_uri(uri).close()  # creates the schema and the Default experiment
    yield "autolog_template", artifacts


@pytest.fixture(scope="session")
def postgres_uri(postgres_server: str, _postgres_template: tuple[str, str]) -> str:
    """A PostgreSQL tracking URI shared by the whole session (schema at head).

    Tests that share it must clean up what they add; ``fresh_postgres_uri`` gives a database
    of its own. Artifacts of its Default experiment go to a session temp directory; a test
    that creates experiments in it should set ``AUTOLOG_ARTIFACT_ROOT`` (monkeypatch) to a
    temp directory, else their artifacts land in ./autolog-artifacts.
    """
    return _create_database(postgres_server, "autolog", _postgres_template[0])


@pytest.fixture
def fresh_postgres_uri(
    postgres_server: str,
    _postgres_template: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """A PostgreSQL tracking URI of a database created for this test and dropped after it.

    ``AUTOLOG_ARTIFACT_ROOT`` points into the session's temp directory meanwhile, so no
    artifact lands in the working directory.
    """
    import uuid

    import psycopg

    from autolog.store._by_uri import forget_store

    template, artifacts = _postgres_template
    monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", artifacts)
    name = f"autolog_{uuid.uuid4().hex[:12]}"
    uri = _create_database(postgres_server, name, template)
    yield uri
    forget_store(uri)
    with psycopg.connect(postgres_server.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
