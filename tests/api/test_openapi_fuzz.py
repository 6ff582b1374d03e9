"""Fuzz the API from its own OpenAPI document: no server error, no answer outside the document."""

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_test_app

# No server error, and no status, content type or body outside the document: for every operation.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The graph endpoints also refuse every request that breaks the document.
STRICT_PATHS = {
    "/api/graph",
    "/api/graph/node",
    "/api/presets",
    "/api/graph/answer",
    "/api/graph/progress",
    "/api/practice",
    "/api/practice/{skill_id}/exercise",
    "/api/practice/{skill_id}/exercise/{exercise_id}/answer",
}

# One app for the whole run (schemathesis's lazy fixture loader does not run under pytest 9).
APP = make_test_app(Path(tempfile.mkdtemp(prefix="openapi-fuzz-")))
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_answers_as_documented(case):
    # Identity encoding: the test client hands back compressed bytes as they are.
    checks = CHECKS + [negative_data_rejection] if case.path in STRICT_PATHS else CHECKS
    case.call_and_validate(checks=checks, headers={"Accept-Encoding": "identity"})
