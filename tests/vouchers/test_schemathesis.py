"""schemathesis against the OpenAPI schema of the voucher endpoints: no 5xx, ever.

Bounded (a few examples per operation) and marked slow. Every generated request is sent as
each of four roles, so the member and staff paths all see generated garbage.

schemathesis' own pytest decorator (`schema.parametrize()`) reads `Function._nodeid`,
which pytest 9 no longer has, so this test walks the operations itself and runs one
Hypothesis test per operation with `operation.as_strategy()`.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from tests.vouchers.conftest import issue, make_programme, submit

VOUCHER_PATHS = r"/(programmes|applications|vouchers|claims)/|/organizations/.*/blacklist/"
EXAMPLES_PER_OPERATION = int(os.environ.get("VOUCHERS_SCHEMATHESIS_EXAMPLES", 8))


@pytest.fixture
def keep_test_connection():
    """The WSGI app closes "old" connections around each request (Django's test client
    switches that off; werkzeug's client, which schemathesis uses, does not). Closing would
    end the test's transaction on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
def test_voucher_api_never_answers_5xx(db, keep_test_connection, reviewer, finance, enterprise,
                                       provider):
    programme = make_programme(reviewer, finance)
    voucher = issue(programme, enterprise, reviewer, "20000.00")
    submit(provider, voucher, "1000.00", invoice="2000.00")
    tokens = [Token.objects.get_or_create(user=user)[0].key
              for user in (reviewer, finance, enterprise, provider)]
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", get_wsgi_application()
    ).include(path_regex=VOUCHER_PATHS)

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            for token in tokens:
                case.call_and_validate(headers={"Authorization": f"Token {token}"},
                                       checks=[not_a_server_error])

        no_server_error()
