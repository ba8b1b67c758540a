from datetime import date

import pytest

from accounts.selectors import enterprise_class_on, is_qualified
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _enterprise(**kwargs):
    defaults = {"sme_tech_number": "", "sme_tech_year": None}
    return OrganizationFactory(**{**defaults, **kwargs})


def test_high_tech_until_its_certificate_ends():
    org = _enterprise(
        high_tech_certificate="GR202543000123", high_tech_valid_until=date(2026, 6, 30)
    )
    assert enterprise_class_on(org, date(2026, 6, 30)) == "high_tech"
    assert enterprise_class_on(org, date(2026, 7, 1)) == "default"
    assert is_qualified(org, year=2026, on=date(2026, 6, 30))
    assert not is_qualified(org, year=2026, on=date(2026, 7, 1))


def test_sme_tech_only_in_its_year():
    org = _enterprise(sme_tech_number="2026430100A00001", sme_tech_year=2026)
    assert enterprise_class_on(org, date(2026, 1, 1)) == "sme_tech"
    assert enterprise_class_on(org, date(2027, 1, 1)) == "default"
    assert is_qualified(org, year=2026, on=date(2026, 3, 1))
    assert not is_qualified(org, year=2027, on=date(2027, 3, 1))


def test_high_tech_wins_over_sme_tech():
    org = _enterprise(
        sme_tech_number="2026430100A00001",
        sme_tech_year=2026,
        high_tech_certificate="GR202543000123",
        high_tech_valid_until=date(2027, 12, 31),
    )
    assert enterprise_class_on(org, date(2026, 5, 1)) == "high_tech"


def test_no_qualification():
    org = _enterprise()
    assert enterprise_class_on(org, date(2026, 5, 1)) == "default"
    assert not is_qualified(org, year=2026, on=date(2026, 5, 1))


def test_year_without_number_or_date_without_certificate_is_nothing():
    org = _enterprise(sme_tech_year=2026, high_tech_valid_until=date(2030, 1, 1))
    assert enterprise_class_on(org, date(2026, 5, 1)) == "default"
    assert not is_qualified(org, year=2026, on=date(2026, 5, 1))
