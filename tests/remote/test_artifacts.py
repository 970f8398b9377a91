"""ProxyArtifactStore: the artifact conformance suite through a real server's artifact proxy."""

from __future__ import annotations

import uuid

import pytest

from autolog.testing import ArtifactStoreConformance
from tests.server.conftest import Server


class TestProxyConformance(ArtifactStoreConformance):
    @pytest.fixture
    def artifact_root(self, server: Server) -> str:
        return f"{server.url}/api/2.0/mlflow-artifacts/artifacts/proxy-tests/{uuid.uuid4().hex}"
