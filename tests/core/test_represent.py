"""core.serializers: what `.data` and `is_valid` give, from fields built once per process."""

import pytest
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer

from accounts.serializers import OrganizationOutput
from core import serializers as core_serializers
from core.serializers import represent, represent_many, validated
from tests.factories import ShareholdingFactory
from tests.vouchers.conftest import (
    submitted_claim,
)
from vouchers.serializers import (
    ApplicationOutput,
    ClaimInput,
    ClaimOutput,
    ProgrammeOutput,
    ReasonOptionalInput,
    ReasonRequiredInput,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim():
    return submitted_claim()


@pytest.fixture
def fresh(monkeypatch):
    """No serializer built yet, as in a new process."""
    monkeypatch.setattr(core_serializers, "_shared", {})


def test_claim_as_data_gives_it(claim):
    assert represent(ClaimOutput, claim) == ClaimOutput(claim).data
    # The response body, byte for byte (key order included).
    render = JSONRenderer().render
    assert render(represent(ClaimOutput, claim)) == render(ClaimOutput(claim).data)
    assert represent(ClaimOutput, claim)["amount"] == "1000.00"


def test_nested_outputs_as_data_gives_them(claim):
    application = claim.voucher.application
    assert represent(ApplicationOutput, application) == ApplicationOutput(application).data
    assert represent(ApplicationOutput, application)["voucher"]["face_value"] == "20000.00"
    assert represent(ProgrammeOutput, claim.programme) == ProgrammeOutput(claim.programme).data


def test_organization_with_shareholdings_and_bank_account(claim):
    ShareholdingFactory(organization=claim.enterprise)
    for organization in (claim.enterprise, claim.provider):
        assert represent(OrganizationOutput, organization) == OrganizationOutput(organization).data
    assert represent(OrganizationOutput, claim.provider)["bank_account"] is not None


def test_many_as_data_gives_them(claim):
    claims = [claim, claim]
    assert represent_many(ClaimOutput, claims) == ClaimOutput(claims, many=True).data


def test_fields_are_built_once(claim, fresh, monkeypatch):
    calls = []
    get_fields = ClaimOutput.get_fields

    def counting(self):
        calls.append(self)
        return get_fields(self)

    monkeypatch.setattr(ClaimOutput, "get_fields", counting)
    first = represent(ClaimOutput, claim)
    claim.reason = "another answer"
    second = represent(ClaimOutput, claim)
    represent_many(ClaimOutput, [claim, claim])
    assert len(calls) == 1
    assert (first["reason"], second["reason"]) == ("", "another answer")


def test_nested_serializers_are_built_before_the_instance_is_shared(fresh):
    class Inner(serializers.Serializer):
        value = serializers.IntegerField()

    class Outer(serializers.Serializer):
        one = Inner()
        many = Inner(many=True)

    represent(Outer, {"one": {"value": 1}, "many": []})
    shared = core_serializers._shared[Outer]
    assert "fields" in shared.fields["one"].__dict__
    assert "fields" in shared.fields["many"].child.__dict__


def test_hyperlinked_fields_are_refused(fresh):
    class Linked(serializers.Serializer):
        url = serializers.HyperlinkedIdentityField(view_name="anything")

    with pytest.raises(TypeError, match="hyperlinked"):
        represent(Linked, object())


def _is_valid_result(serializer_class, data):
    serializer = serializer_class(data=data)
    try:
        serializer.is_valid(raise_exception=True)
    except ValidationError as exc:
        return ("invalid", exc.detail)
    return ("valid", dict(serializer.validated_data))


@pytest.mark.parametrize("data", [
    {},
    {"reason": "发票与合同不符"},
    {"voucher": "X", "category": "testing", "contract_number": "HT-1",
     "contract_date": "2026-11-25", "invoice_number": "F1", "invoice_amount": "2000.00",
     "amount": "1000.00"},
    {"voucher": "X", "category": "nope", "amount": "1000.001", "contract_date": "tomorrow"},
    {"reason": "x" * 501},
    [],
    None,
], ids=["empty", "reason", "claim", "bad-claim", "too-long", "list", "null"])
@pytest.mark.parametrize("serializer_class", [ReasonRequiredInput, ReasonOptionalInput,
                                              ClaimInput])
def test_validated_gives_what_is_valid_gives(serializer_class, data):
    try:
        got = ("valid", dict(validated(serializer_class, data)))
    except ValidationError as exc:
        got = ("invalid", exc.detail)
    assert got == _is_valid_result(serializer_class, data)


def test_input_fields_are_built_once(fresh, monkeypatch):
    built = []
    original = ReasonRequiredInput.get_fields

    def counting(self):
        built.append(1)
        return original(self)

    monkeypatch.setattr(ReasonRequiredInput, "get_fields", counting)
    for _ in range(3):
        assert validated(ReasonRequiredInput, {"reason": "重复发票"}) == {"reason": "重复发票"}
    assert len(built) == 1
    with pytest.raises(ValidationError):
        validated(ReasonRequiredInput, {})  # invalid data takes DRF's own path (a new copy)
    assert len(built) == 2
