import os

import pytest
from hypothesis import HealthCheck, settings

from ledger.services import account_open


@pytest.fixture
def chart(db):
    """A small chart of accounts in a programme's shape."""

    class Chart:
        treasury = account_open(code="treasury:CS-2026", normal_side="debit",
                                name="财政拨款 Appropriations")
        pool = account_open(code="pool:CS-2026", normal_side="credit",
                            debits_must_not_exceed_credits=True, name="预算池 Budget pool")
        voucher = account_open(code="voucher:CS2026A001", normal_side="credit",
                               owner_ref="voucher:CS2026A001",
                               debits_must_not_exceed_credits=True)
        voucher2 = account_open(code="voucher:CS2026A002", normal_side="credit",
                                owner_ref="voucher:CS2026A002",
                                debits_must_not_exceed_credits=True)
        payable = account_open(code="payable:CS-2026:lab-1", normal_side="credit",
                               owner_ref="provider:lab-1")

    return Chart


# Hypothesis profiles for the ledger's property tests (applied to those tests only, so the
# rest of the suite keeps its own settings). LEDGER_HYPOTHESIS_PROFILE=deep for a long run.
settings.register_profile(
    "ledger",
    max_examples=15,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "ledger-deep",
    parent=settings.get_profile("ledger"),
    max_examples=500,
    stateful_step_count=60,
)


def ledger_hypothesis_settings() -> settings:
    name = os.environ.get("LEDGER_HYPOTHESIS_PROFILE", "")
    return settings.get_profile("ledger-deep" if name == "deep" else "ledger")
