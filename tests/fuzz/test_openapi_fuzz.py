"""Fuzz the whole OpenAPI document with schemathesis: no input may cause a server error.

Runs against its own database (sample + zoning), as the office (every route reachable), so
whatever the fuzzer manages to write cannot disturb other tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from gis_service.api.app import create_app
from gis_service.config import get_settings
from gis_service.db import admin, migrate
from gis_service.db.engine import database_url, make_engine, with_database
from gis_service.services.sample import SAMPLE_DIR, load_sample
from gis_service.services.users import create_user, issue_token
from gis_service.services.zoning import rebuild_zoning

EXAMPLES = 30  # per operation and role (positive and negative cases); under a minute in all


# the engine connects lazily: the app (and its OpenAPI document) exist at import time, the
# database only once the module fixture has created it
FUZZ_URL = with_database(database_url(get_settings()), f"gis_service_test_fuzz_{os.getpid()}")
FUZZ_ENGINE = make_engine(FUZZ_URL)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(FUZZ_ENGINE))


@pytest.fixture(scope="module")
def fuzz_tokens() -> Iterator[dict[str, str]]:
    """A fresh database with the sample and its zoning, and tokens of an office user and of a
    chief (the chief's paths: own-patrol checks, problem reports)."""
    admin.ensure_database(FUZZ_URL, fresh=True)
    migrate.upgrade(FUZZ_URL)
    with FUZZ_ENGINE.begin() as conn:
        load_sample(conn, SAMPLE_DIR)
        rebuild_zoning(conn)
        create_user(conn, "fuzz-office", "office")
        create_user(conn, "fuzz-chief", "chief", "P0203")
        tokens = {
            "office": issue_token(conn, "fuzz-office"),
            "chief": issue_token(conn, "fuzz-chief"),
        }
    yield tokens
    FUZZ_ENGINE.dispose()
    admin.drop_database(FUZZ_URL)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.parametrize("role", ["office", "chief"])
def test_no_input_causes_a_server_error(case, fuzz_tokens: dict[str, str], role: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {fuzz_tokens[role]}"})
    # and what comes back is what the OpenAPI document says (the GeoJSON routes' schemas are
    # not applied by FastAPI: this is where they are checked)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    if response.status_code >= 400:  # every error is JSON with a message
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/json"), (response.status_code, response.text)
        assert response.json().get("detail"), response.text


# every JSON route declares its response model: nothing is allowed to be untyped
UNTYPED: set[tuple[str, str]] = set()
JSON_MEDIA = ("application/json", "application/geo+json")


def test_every_json_response_is_a_named_schema_with_properties() -> None:
    """The OpenAPI document describes what every JSON route sends: a named schema (an
    array's items one) whose properties are listed, never an untyped object."""
    document = create_app(FUZZ_ENGINE).openapi()
    schemas = document["components"]["schemas"]
    checked, untyped = [], []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code in ("200", "201"):
                content = operation["responses"].get(code, {}).get("content", {})
                for media in JSON_MEDIA:
                    if media not in content or (method, path) in UNTYPED:
                        continue
                    schema = content[media].get("schema", {})
                    if schema.get("type") == "array":
                        schema = schema.get("items", {})
                    # one schema, or a choice of schemas (an upload answers with the patrol
                    # or with the stored duplicate): each must be named, with properties
                    choices = schema.get("anyOf") or schema.get("oneOf") or [schema]
                    refs = [c.get("$ref", "") for c in choices]
                    named = [schemas.get(r.removeprefix("#/components/schemas/"), {}) for r in refs]
                    if all(refs) and all(n.get("properties") for n in named):
                        checked.append((method, path))
                    else:
                        untyped.append((method.upper(), path, code, media, schema))
    assert not untyped, untyped
    assert len(checked) >= 32  # every JSON route, the patrols' included (HTML, files: no JSON)
