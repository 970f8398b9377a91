"""FsspecArtifactStore against a real S3 endpoint on loopback (moto's server mode)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autolog.errors import UnsafeArtifactPathError
from autolog.store import open_artifact_store
from autolog.testing import ArtifactStoreConformance
from autolog.core._entities import FileInfo

BUCKET = "autolog-test"  # created by the s3_endpoint fixture


@pytest.fixture
def s3_root(s3_endpoint: str) -> str:
    return f"s3://{BUCKET}/{uuid.uuid4().hex}"


@pytest.fixture
def s3_client(s3_endpoint: str) -> Iterator[Any]:
    """A plain botocore client: another writer/reader that does not go through autolog."""
    import botocore.session

    client = botocore.session.get_session().create_client("s3", endpoint_url=s3_endpoint)
    yield client
    client.close()


class TestS3Conformance(ArtifactStoreConformance):
    @pytest.fixture
    def artifact_root(self, s3_root: str) -> str:
        return s3_root


def _keys(client: Any, bucket: str, prefix: str) -> list[str]:
    response = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in response.get("Contents", []))


def test_objects_land_under_the_prefix(s3_root: str, s3_client: Any, tmp_path: Path) -> None:
    prefix = s3_root.removeprefix(f"s3://{BUCKET}/")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "b.txt").write_bytes(b"b")
    store = open_artifact_store(s3_root)
    store.log_artifacts(str(src), "out")
    store.write_bytes("model/model.pkl", b"pickle")
    assert _keys(s3_client, BUCKET, prefix) == [
        f"{prefix}/model/model.pkl",
        f"{prefix}/out/sub/b.txt",
    ]
    body = s3_client.get_object(Bucket=BUCKET, Key=f"{prefix}/model/model.pkl")["Body"]
    with body:
        assert body.read() == b"pickle"


def test_listings_see_writes_by_others(s3_root: str, s3_client: Any) -> None:
    prefix = s3_root.removeprefix(f"s3://{BUCKET}/")
    store = open_artifact_store(s3_root)
    store.write_bytes("a.txt", b"a")
    assert store.list_artifacts() == [FileInfo("a.txt", False, 1)]  # now cached by s3fs
    s3_client.put_object(Bucket=BUCKET, Key=f"{prefix}/b.txt", Body=b"bb")
    assert store.list_artifacts() == [FileInfo("a.txt", False, 1), FileInfo("b.txt", False, 2)]
    s3_client.delete_object(Bucket=BUCKET, Key=f"{prefix}/a.txt")
    assert store.list_artifacts() == [FileInfo("b.txt", False, 2)]


def test_download_refuses_keys_that_escape(s3_root: str, s3_client: Any, tmp_path: Path) -> None:
    prefix = s3_root.removeprefix(f"s3://{BUCKET}/")
    store = open_artifact_store(s3_root)
    store.write_bytes("run/ok.txt", b"ok")
    s3_client.put_object(Bucket=BUCKET, Key=f"{prefix}/run/../../../evil.txt", Body=b"x")
    with pytest.raises(UnsafeArtifactPathError, match="leave the root"):
        store.download_artifacts("run", str(tmp_path / "dl"))
    assert not (tmp_path / "dl").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_delete_everything_keeps_the_bucket(s3_endpoint: str, s3_client: Any) -> None:
    bucket = f"autolog-root-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    store = open_artifact_store(f"s3://{bucket}")
    store.write_bytes("a.txt", b"aaa")
    store.write_bytes("d/b.txt", b"b")
    assert store.delete_artifacts() == 4
    assert _keys(s3_client, bucket, "") == []
    s3_client.head_bucket(Bucket=bucket)  # still there
    s3_client.delete_bucket(Bucket=bucket)


@pytest.mark.parametrize("how", ["AUTOLOG_S3_ENDPOINT_URL", "AUTOLOG_FSSPEC_OPTIONS"])
def test_endpoint_from_autolog_settings(
    how: str, s3_endpoint: str, s3_root: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    if how == "AUTOLOG_S3_ENDPOINT_URL":
        monkeypatch.setenv(how, s3_endpoint)
    else:
        monkeypatch.setenv(how, json.dumps({"s3": {"endpoint_url": s3_endpoint}}))
    store = open_artifact_store(s3_root)
    store.write_bytes("via-setting.txt", b"x")
    assert store.fs.endpoint_url == s3_endpoint
    prefix = s3_root.removeprefix(f"s3://{BUCKET}/")
    assert _keys(s3_client, BUCKET, prefix) == [f"{prefix}/via-setting.txt"]
