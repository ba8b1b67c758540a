import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Role
from core.append_only import set_maintenance
from tests.factories import OrganizationFactory, ProviderFactory, UserFactory, staff_user


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres` tests run only when the suite runs on PostgreSQL."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _append_only_guard(request):
    """Keep append-only triggers armed in every test, but let a transactional test's flush pass.

    Requesting the db fixture here makes this fixture's teardown run *before* the flush.
    """
    names = set(request.fixturenames)
    markers = list(request.node.iter_markers("django_db"))
    transactional = bool({"transactional_db", "live_server"} & names) or any(
        m.kwargs.get("transaction") for m in markers
    )
    uses_db = transactional or "db" in names or bool(markers)
    if transactional:
        request.getfixturevalue("transactional_db")
    elif uses_db:
        request.getfixturevalue("db")
    if uses_db:
        set_maintenance(False)
    yield
    if transactional:
        set_maintenance(True)


@pytest.fixture
def api_client():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def enterprise_user(db):
    return UserFactory(role=Role.ENTERPRISE, organization=OrganizationFactory())


@pytest.fixture
def provider_user(db):
    return UserFactory(role=Role.PROVIDER, organization=ProviderFactory())


@pytest.fixture
def reviewer(db):
    return staff_user(Role.REVIEWER)


@pytest.fixture
def finance(db):
    return staff_user(Role.FINANCE)


@pytest.fixture
def auditor(db):
    return staff_user(Role.AUDITOR)
