from collections.abc import Iterator

import pytest

from fakeprovider import FakeProvider


@pytest.fixture(scope="module")
def fake_provider_server() -> Iterator[FakeProvider]:
    fake = FakeProvider(port=0)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_provider(fake_provider_server: FakeProvider) -> Iterator[FakeProvider]:
    """The running fake, with no recorded requests, faults or changed settings."""
    fake_provider_server.reset()
    yield fake_provider_server
    fake_provider_server.reset()
