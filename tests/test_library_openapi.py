"""docs/library-api.yaml is true: schemathesis fuzzes the emulator's kiosk-facing API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from schemathesis.core.parameters import ParameterLocation
from hypothesis import HealthCheck, settings
from library_fixtures import MACHINE, BackgroundLoop, background_loop, start_library  # noqa: F401

from sim.library import DEMO_TOKEN

DOC = Path(__file__).resolve().parent.parent / "docs" / "library-api.yaml"
SCHEMA = schemathesis.openapi.from_path(DOC)
AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}


@pytest.fixture(scope="module")
def api_url(background_loop: BackgroundLoop, tmp_path_factory) -> Iterator[str]:
    running = start_library(background_loop, tmp_path_factory.mktemp("openapi"))
    yield running.endpoint["url"]
    background_loop.run(running.sim.stop())


@SCHEMA.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_emulator_follows_the_openapi_document(case, api_url):
    meta = case.meta
    negative = meta is not None and meta.generation.mode.is_negative
    if not negative or not meta.is_negative_at(ParameterLocation.PATH):
        case.path_parameters["machine_id"] = MACHINE  # reach the rules, not just a 403
    auth = {} if negative and meta.is_negative_at(ParameterLocation.HEADER) else AUTH
    case.call_and_validate(base_url=api_url, headers=auth)
