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
    from autolog.tracking._fluent import _reset_state

    _reset_state()
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path_factory.mktemp("autolog-runs")))
    monkeypatch.delenv("AUTOLOG_EXPERIMENT_NAME", raising=False)
    yield
    _reset_state()


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
