"""Property-based fuzzing of every documented endpoint from openapi.json (schemathesis):
whatever it sends, the API answers without a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error

from backend.app import create_app
from backend.store.sqlite import SQLiteStore
from tests.conftest import ORIGIN, make_settings

_db = Path(tempfile.mkdtemp(prefix="parley-fuzz-")) / "fuzz.db"
_store = SQLiteStore(_db)
_store.setup()
app = create_app(make_settings(f"sqlite:///{_db}"), _store)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@schema.parametrize()
@hypothesis.settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call(headers={"Origin": ORIGIN})
    case.validate_response(response, checks=[not_a_server_error])
