import pytest
from django.utils import timezone

from accounts.demo import load_demo_accounts
from accounts.models import Organization, Role, User
from accounts.selectors import are_related_parties, controller_group, enterprise_class_on
from audit.services import audit_verify

pytestmark = pytest.mark.django_db


def test_demo_accounts_are_complete_and_idempotent(api_client):
    first = load_demo_accounts()
    counts = (Organization.objects.count(), User.objects.count())
    second = load_demo_accounts()

    assert first == second
    assert (Organization.objects.count(), User.objects.count()) == counts == (8, 13)
    for username in ("reviewer", "finance", "finance2", "auditor", "admin"):
        assert username in first
    assert User.objects.filter(role=Role.FINANCE).count() == 2
    assert list(User.objects.filter(is_staff=True).values_list("username", flat=True)) == [
        "admin"
    ]

    active = Organization.objects.filter(status=Organization.Status.ACTIVE)
    changsha = active.filter(kind="enterprise", region_code="430100")
    assert changsha.count() == 3
    today = timezone.localdate()
    classes = sorted(enterprise_class_on(o, today) for o in changsha)
    assert classes == ["high_tech", "sme_tech", "sme_tech"]
    assert any(controller_group(o).count() == 2 for o in changsha)
    assert active.filter(kind="enterprise", region_code="420100").count() == 1
    assert active.filter(kind="provider", region_code="430100").count() == 2
    assert active.filter(kind="provider", region_code="420100").count() == 1
    assert Organization.objects.filter(status=Organization.Status.PENDING).count() == 1
    for provider in Organization.objects.filter(kind="provider"):
        assert provider.bank_account_number
        assert provider.categories
        for enterprise in Organization.objects.filter(kind="enterprise"):
            assert not are_related_parties(enterprise, provider)
    assert audit_verify().ok

    for username, (password, _role, _org) in first.items():
        response = api_client.post(
            "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
        )
        assert response.status_code == 200, username
