import pytest

from accounts.identity import person_ref
from accounts.models import Organization, Shareholding, User
from accounts.services import organization_register
from audit.models import AuditEvent
from core.errors import DomainError
from tests.factories import OrganizationFactory, make_resident_id, make_uscc, registration_payload

URL = "/api/v1/organizations/register/"

pytestmark = pytest.mark.django_db


def _nothing_written():
    assert not Organization.objects.exists()
    assert not User.objects.exists()
    assert not Shareholding.objects.exists()
    assert not AuditEvent.objects.exists()


def test_enterprise_registers_pending_with_its_first_user(api_client):
    payload = registration_payload(
        uscc="91430100MA4L12346D",
        actual_controller=make_uscc(77),
        shareholdings=[
            {"holder": make_resident_id(900), "percent": "60.00"},
            {"holder": make_uscc(77), "percent": "40"},
        ],
    )
    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "enterprise"
    assert body["uscc"] == "91430100MA4L12346D"
    assert body["region_code"] == "430100"
    assert body["status"] == "pending"
    organization = Organization.objects.get(public_id=body["id"])
    assert organization.legal_representative_ref == person_ref(make_resident_id(900))
    assert organization.actual_controller_ref == f"uscc:{make_uscc(77)}"
    assert sorted(organization.shareholdings.values_list("percent_hundredths", flat=True)) == [
        4000,
        6000,
    ]
    user = User.objects.get(username="reg900")
    assert user.role == "enterprise"
    assert user.organization == organization
    assert user.check_password("Register-2026-pw")
    event = AuditEvent.objects.get(action="organization.registered")
    assert event.object_id == body["id"]
    assert event.actor == "reg900"


def test_output_never_contains_the_resident_id_or_its_digest(api_client):
    payload = registration_payload()
    response = api_client.post(URL, payload, format="json")
    text = response.content.decode()
    assert payload["legal_representative_id"] not in text
    assert person_ref(payload["legal_representative_id"]).split(":")[1] not in text
    event = AuditEvent.objects.get()
    assert payload["legal_representative_id"] not in str(event.after)
    assert person_ref(payload["legal_representative_id"]) not in str(event.after)


def test_provider_registers_with_bank_account_and_categories(api_client):
    payload = registration_payload("provider", categories=["testing", "rd_design"])
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "provider"
    assert body["bank_account"]["bank"] == "中国银行长沙分行"
    assert body["categories"] == ["rd_design", "testing"]
    assert User.objects.get(username="reg900").role == "provider"


def test_failing_check_character_is_invalid_uscc(api_client):
    response = api_client.post(
        URL, registration_payload(uscc="91430100MA4L12346E"), format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "invalid_uscc"
    assert "uscc" in body["errors"]
    _nothing_written()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"legal_representative_id": "110105194912310021"}, "legal_representative_id"),
        ({"shareholdings": [{"holder": make_uscc(5), "percent": "30.001"}]}, "shareholdings"),
        ({"shareholdings": [{"holder": make_uscc(5), "percent": "0"}]}, "shareholdings"),
        ({"shareholdings": [{"holder": make_uscc(5), "percent": "100.01"}]}, "shareholdings"),
        ({"shareholdings": [{"holder": make_uscc(5), "percent": 30}]}, "shareholdings"),
        ({"shareholdings": [{"holder": make_uscc(5), "percent": "-5"}]}, "shareholdings"),
        ({"shareholdings": [{"holder": "nobody", "percent": "5"}]}, "shareholdings"),
        (
            {
                "shareholdings": [
                    {"holder": make_uscc(5), "percent": "60.00"},
                    {"holder": make_uscc(6), "percent": "40.01"},
                ]
            },
            "shareholdings",
        ),
        (
            {
                "shareholdings": [
                    {"holder": make_uscc(5), "percent": "10"},
                    {"holder": make_uscc(5), "percent": "10"},
                ]
            },
            "shareholdings",
        ),
        ({"actual_controller": "12345"}, "actual_controller"),
        ({"region_code": "4301"}, "region_code"),
        ({"region_code": "990100"}, "region_code"),
        ({"password": "123"}, "password"),
        ({"name": ""}, "name"),
        ({"kind": "bank"}, "kind"),
        ({"sme_tech_year": None}, "sme_tech_year"),
        ({"high_tech_certificate": "GR2025430001"}, "high_tech_valid_until"),
        ({"bank_account": {"name": "x", "bank": "y", "number": "6222"}}, "bank_account"),
        ({"username": None}, "username"),
    ],
)
def test_invalid_enterprise_fields_are_reported_and_nothing_is_written(
    api_client, overrides, field
):
    response = api_client.post(URL, registration_payload(**overrides), format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"], body
    _nothing_written()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bank_account": None}, "bank_account"),
        ({"bank_account": {"name": "研究院", "bank": "工行", "number": "12ab"}}, "bank_account"),
        ({"categories": []}, "categories"),
        ({"categories": ["cooking"]}, "categories"),
        ({"sme_tech_number": "2026A1", "sme_tech_year": 2026}, "sme_tech_number"),
    ],
)
def test_invalid_provider_fields_are_reported_and_nothing_is_written(
    api_client, overrides, field
):
    payload = registration_payload("provider", **overrides)
    if "bank_account" in overrides and overrides["bank_account"] is None:
        del payload["bank_account"]
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    _nothing_written()


def test_every_problem_is_reported_at_once(api_client):
    payload = registration_payload(
        "provider", legal_representative_id="1234", region_code="x", password="1"
    )
    del payload["bank_account"]
    body = api_client.post(URL, payload, format="json").json()
    assert {"legal_representative_id", "region_code", "password", "bank_account"} <= set(
        body["errors"]
    )


def test_duplicate_uscc_and_username_are_refused(api_client):
    OrganizationFactory(uscc=make_uscc(900))
    response = api_client.post(URL, registration_payload(), format="json")
    assert response.status_code == 400
    assert "uscc" in response.json()["errors"]

    api_client.post(URL, registration_payload(n=901), format="json")
    response = api_client.post(URL, registration_payload(n=902, username="reg901"), format="json")
    assert response.status_code == 400
    assert "username" in response.json()["errors"]


def test_service_normalises_the_uscc_and_stores_the_controller_person_as_digest():
    organization = organization_register(
        kind="enterprise",
        name="长沙小写代码有限公司",
        uscc="91430100ma4l12346d",
        region_code="430104",
        username="lower",
        password="Register-2026-pw",
        legal_representative_id=make_resident_id(1),
        actual_controller=make_resident_id(2),
    )
    assert organization.uscc == "91430100MA4L12346D"
    assert organization.actual_controller_ref == person_ref(make_resident_id(2))
    assert organization.status == Organization.Status.PENDING


def test_service_refuses_enterprise_sending_provider_fields():
    with pytest.raises(DomainError) as exc:
        organization_register(
            kind="enterprise",
            name="x",
            uscc=make_uscc(3),
            region_code="430100",
            username="x3",
            password="Register-2026-pw",
            legal_representative_id=make_resident_id(3),
            categories=["testing"],
        )
    assert exc.value.code == "invalid"
    assert "categories" in exc.value.errors
