"""Generated requests from the OpenAPI document: the API never answers with a server error,
and every error it gives (bar 405 for a method a path lacks) is problem+json with a type."""

import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from shequn.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly would close the test's database connection at the end of each
    request; Django's own test client suspends that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_never_cause_a_server_error(case, make_token, member, keep_test_connection):
    if "member_id" in (case.path_parameters or {}):
        case.path_parameters["member_id"] = member.pk  # reach the services, not only the 404
    token = make_token()
    response = case.call(headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text)
    if response.status_code == 405:  # answered by Django Ninja's router before our handlers
        assert response.headers.get("allow")
    elif response.status_code >= 400:
        assert response.headers.get("content-type") == ["application/problem+json"], response.headers
        assert response.json()["type"]
