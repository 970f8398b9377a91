"""Test helpers shipped for third parties: pytest fixtures and conformance suites.

Subclass a suite in your own tests and provide its fixture, e.g. a store backend::

    from autolog.testing import StoreConformance

    class TestMyStore(StoreConformance):
        @pytest.fixture
        def store(self):
            return MyStore.from_uri("mystore://...")
"""

from autolog.testing._artifacts import ArtifactStoreConformance
from autolog.testing._autolog import AutologConformance, autologged, flavor_runs
from autolog.testing._flavor import FlavorConformance, registered_flavor
from autolog.testing._ray import local_ray_head
from autolog.testing._sampler import registered_sampler
from autolog.testing._store import StoreConformance
