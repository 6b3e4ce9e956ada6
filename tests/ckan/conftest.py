"""Fixtures for the CKAN tests: one real CKAN for the whole session, a fault proxy, the packages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from ckan_server import CkanServer, missing_programs, running_ckan
from fault_proxy import FaultProxy

from toolkit.packaging.packages import PackageResult, package

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ckan_server() -> Iterator[CkanServer]:
    missing = missing_programs()
    if missing:
        reason = f"the test CKAN needs {', '.join(missing)} (.ci/run installs them)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    with running_ckan() as server:
        yield server


@pytest.fixture(scope="session")
def fault_proxy(ckan_server: CkanServer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(ckan_server.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxy(fault_proxy: FaultProxy) -> FaultProxy:
    """The session's proxy with its counts cleared and no fault planned."""
    fault_proxy.reset()
    return fault_proxy


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> PackageResult:
    """The shipped catalog, packaged once for the session."""
    return package(ROOT / "datasets", tmp_path_factory.mktemp("packages") / "out")
