"""Fuzz every endpoint from the service's own OpenAPI schema: no 5xx, responses match it."""

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from salur.service.app import create_app  # noqa: E402
from salur.service.settings import Settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

KEY = "fuzz-key"


@pytest.fixture(scope="module")
def fuzz_app(small_model_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    app = create_app(
        Settings(
            model_dir=small_model_dir,
            api_keys=[KEY],
            database_url=f"sqlite:///{db}",
            store_all=True,
            rate_limit=None,
            max_batch_items=20,
        )
    )
    with TestClient(app) as client:  # runs the lifespan: model and database ready
        for text in ("jalan rusak parah", "ktp belum jadi", "air pdam mati"):
            client.post("/v1/classify", json={"text": text}, headers={"X-API-Key": KEY})
        yield app


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


# Semantic rules the schema cannot state (an unknown region, whitespace-only
# text, the configured length limits) are answered with a documented 4xx, so
# "schema-valid data must be accepted" does not apply; every other check does.
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_schema_conformance(case):
    case.call_and_validate(headers={"X-API-Key": KEY}, checks=CHECKS)
