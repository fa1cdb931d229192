"""Fuzz every API operation with input its schema forbids (schemathesis' negative mode).

The positive run (test_schemathesis.py) sends what the OpenAPI document allows; this one
sends what it does not: wrong types, values out of range, missing and extra fields, strange
characters. Whatever comes in, the API must answer with a 4xx, never a 5xx.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.contract.test_schemathesis import OPENAPI_URL, _aim_at_real_objects

pytestmark = [pytest.mark.contract, pytest.mark.django_db]

# 15 per operation in `make test` (see test_schemathesis.py);
# CONTRACT_NEGATIVE_EXAMPLES=500 digs deeper.
MAX_EXAMPLES = int(os.environ.get("CONTRACT_NEGATIVE_EXAMPLES", "15"))
DERANDOMIZE = os.environ.get("CONTRACT_RANDOM") != "1"

negative = schemathesis.openapi.from_wsgi(OPENAPI_URL, get_wsgi_application())
negative.config.generation.update(modes=[GenerationMode.NEGATIVE])


@pytest.fixture(autouse=True)
def _connection(keep_the_test_connection: None) -> None:
    """See conftest.keep_the_test_connection."""


@negative.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_operation_refuses_bad_input_without_a_5xx(
    case: Any, admin_headers: dict[str, str], real_ids: dict[str, list[int]]
) -> None:
    _aim_at_real_objects(case, real_ids)
    case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])
