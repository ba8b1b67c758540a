import pytest

from accounts.identity import person_ref
from accounts.selectors import are_related_parties, controller_group
from tests.factories import (
    OrganizationFactory,
    ProviderFactory,
    ShareholdingFactory,
    make_resident_id,
    make_uscc,
)

pytestmark = pytest.mark.django_db

ALICE = person_ref(make_resident_id(701))
BOB = person_ref(make_resident_id(702))
HOLDCO = f"uscc:{make_uscc(703)}"


def _both_ways(a, b) -> bool:
    forward, backward = are_related_parties(a, b), are_related_parties(b, a)
    assert forward == backward
    return forward


def test_unrelated():
    assert not _both_ways(OrganizationFactory(), ProviderFactory())


def test_same_organisation():
    organization = OrganizationFactory()
    assert are_related_parties(organization, organization)


def test_same_legal_representative():
    assert _both_ways(
        OrganizationFactory(legal_representative_ref=ALICE),
        ProviderFactory(legal_representative_ref=ALICE),
    )


def test_same_actual_controller():
    assert _both_ways(
        OrganizationFactory(actual_controller_ref=HOLDCO),
        ProviderFactory(actual_controller_ref=HOLDCO),
    )


def test_empty_controllers_are_not_the_same_controller():
    assert not _both_ways(
        OrganizationFactory(actual_controller_ref=""), ProviderFactory(actual_controller_ref="")
    )


def test_one_organisation_controls_the_other():
    enterprise = OrganizationFactory()
    assert _both_ways(enterprise, ProviderFactory(actual_controller_ref=enterprise.party_ref))


def test_legal_representative_of_one_controls_the_other():
    assert _both_ways(
        OrganizationFactory(legal_representative_ref=ALICE),
        ProviderFactory(actual_controller_ref=ALICE),
    )


@pytest.mark.parametrize("percent_hundredths", [2500, 10000])
def test_organisation_holds_25_percent_of_the_other(percent_hundredths):
    enterprise, provider = OrganizationFactory(), ProviderFactory()
    ShareholdingFactory(
        organization=provider,
        holder_ref=enterprise.party_ref,
        percent_hundredths=percent_hundredths,
    )
    assert _both_ways(enterprise, provider)


def test_provider_holds_25_percent_of_the_enterprise():
    enterprise, provider = OrganizationFactory(), ProviderFactory()
    ShareholdingFactory(
        organization=enterprise, holder_ref=provider.party_ref, percent_hundredths=2500
    )
    assert _both_ways(enterprise, provider)


def test_legal_representative_holds_25_percent_of_the_other():
    enterprise = OrganizationFactory(legal_representative_ref=ALICE)
    provider = ProviderFactory()
    ShareholdingFactory(organization=provider, holder_ref=ALICE, percent_hundredths=3000)
    assert _both_ways(enterprise, provider)


def test_actual_controller_holds_25_percent_of_the_other():
    enterprise = OrganizationFactory(actual_controller_ref=HOLDCO)
    provider = ProviderFactory()
    ShareholdingFactory(organization=provider, holder_ref=HOLDCO, percent_hundredths=2500)
    assert _both_ways(enterprise, provider)


def test_24_99_percent_is_not_related():
    enterprise = OrganizationFactory(legal_representative_ref=ALICE, actual_controller_ref=BOB)
    provider = ProviderFactory()
    ShareholdingFactory(organization=provider, holder_ref=ALICE, percent_hundredths=2499)
    ShareholdingFactory(organization=provider, holder_ref=enterprise.party_ref,
                        percent_hundredths=2499)
    ShareholdingFactory(organization=enterprise, holder_ref=provider.party_ref,
                        percent_hundredths=2499)
    assert not _both_ways(enterprise, provider)


def test_a_third_partys_holding_in_both_is_not_enough():
    enterprise, provider = OrganizationFactory(), ProviderFactory()
    ShareholdingFactory(organization=enterprise, holder_ref=BOB, percent_hundredths=5000)
    ShareholdingFactory(organization=provider, holder_ref=BOB, percent_hundredths=5000)
    assert not _both_ways(enterprise, provider)


def test_at_most_one_query(django_assert_max_num_queries):
    enterprise, provider = OrganizationFactory(), ProviderFactory()
    with django_assert_max_num_queries(1):
        are_related_parties(enterprise, provider)


def test_controller_group():
    first = OrganizationFactory(actual_controller_ref=HOLDCO)
    second = OrganizationFactory(actual_controller_ref=HOLDCO)
    ProviderFactory(actual_controller_ref=HOLDCO)  # providers do not share the cap
    alone = OrganizationFactory()
    OrganizationFactory(actual_controller_ref="")

    assert set(controller_group(first)) == {first, second}
    assert set(controller_group(second)) == {first, second}
    assert list(controller_group(alone)) == [alone]
