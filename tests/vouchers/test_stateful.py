"""Hypothesis drives the services in random orders; after every step the budget identity
holds to the fen, the ledger verifies, and the budget agrees with a simple model of claims."""

import itertools
import os
from datetime import timedelta

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.errors import DomainError
from tests.factories import member_user
from tests.vouchers.conftest import check_books, make_enterprise, make_programme, make_provider
from vouchers import services
from vouchers.models import Claim, Voucher
from vouchers.selectors import voucher_balance

_programmes = itertools.count(1)
YUAN = 100


class VoucherLifecycle(RuleBasedStateMachine):
    def __init__(self, reviewer, finance):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.reviewer, self.finance = reviewer, finance
        self.programme = make_programme(
            reviewer, finance, funded="60000.00", code=f"HY-{next(_programmes)}",
            enterprise_annual_cap=30000 * YUAN, provider_annual_cap=40000 * YUAN)
        self.funded = 60000 * YUAN
        self.enterprises = [member_user(make_enterprise()) for _ in range(3)]
        self.providers = [member_user(make_provider()) for _ in range(2)]
        self.vouchers: list[Voucher] = []
        self.claims: list[Claim] = []
        self.invoices = itertools.count(1)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def attempt(self, allowed: set[str], call):
        try:
            return call()
        except DomainError as exc:
            assert exc.code in allowed, f"unexpected {exc.code}: {exc.detail}"
            return None

    @rule(amount=st.integers(1, 20000))
    def fund(self, amount):
        services.programme_fund(programme=self.programme, amount=amount * YUAN,
                                actor=self.finance)
        self.funded += amount * YUAN

    @rule(who=st.integers(0, 2), asked=st.integers(1, 25000), lower=st.booleans())
    def apply_and_approve(self, who, asked, lower):
        user = self.enterprises[who]
        application = self.attempt({"enterprise_cap_exceeded"}, lambda: services.
                                   application_submit(enterprise=user.organization,
                                                      programme=self.programme,
                                                      amount=asked * YUAN, actor=user))
        if application is None:
            return
        amount = max(asked // 2, 1) * YUAN if lower else None
        approved = self.attempt({"enterprise_cap_exceeded", "budget_exhausted"},
                                lambda: services.application_approve(
                                    application=application, actor=self.reviewer,
                                    amount=amount))
        if approved is not None:
            self.vouchers.append(approved.voucher)

    @precondition(lambda self: self.vouchers)
    @rule(data=st.data(), amount=st.integers(1, 15000), provider=st.integers(0, 1))
    def submit_claim(self, data, amount, provider):
        voucher = data.draw(st.sampled_from(self.vouchers))
        lab = self.providers[provider]
        claim = self.attempt(
            {"insufficient_voucher_balance", "voucher_not_active", "provider_cap_exceeded"},
            lambda: services.claim_submit(
                provider=lab.organization, voucher_code=voucher.code, category="testing",
                contract_number="HT", contract_date=voucher.issued_on,
                invoice_number=f"HY{next(self.invoices)}", invoice_amount=amount * 2 * YUAN,
                amount=amount * YUAN, actor=lab))
        if claim is not None:
            self.claims.append(claim)

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), action=st.sampled_from(
        ["confirm", "approve", "reject", "refuse", "withdraw"]))
    def act_on_claim(self, data, action):
        claim = data.draw(st.sampled_from(self.claims))
        holder = next(u for u in self.enterprises if u.organization_id == claim.enterprise_id)
        lab = next(u for u in self.providers if u.organization_id == claim.provider_id)
        calls = {
            "confirm": lambda: services.claim_confirm(claim=claim, actor=holder),
            "approve": lambda: services.claim_approve(claim=claim, actor=self.reviewer),
            "reject": lambda: services.claim_reject(claim=claim, actor=self.reviewer,
                                                    reason="hypothesis"),
            "refuse": lambda: services.claim_refuse(claim=claim, actor=holder),
            "withdraw": lambda: services.claim_withdraw(claim=claim, actor=lab),
        }
        self.attempt({"invalid_transition", "insufficient_voucher_balance",
                      "voucher_not_active", "provider_cap_exceeded"}, calls[action])

    @precondition(lambda self: self.vouchers)
    @rule(data=st.data())
    def expire(self, data):
        voucher = data.draw(st.sampled_from(self.vouchers))
        services.voucher_expire(voucher=voucher,
                                as_of=voucher.valid_until + timedelta(days=1))

    @invariant()
    def books_balance_and_match_the_claims(self):
        budget = check_books(self.programme)
        assert budget["funded"] == self.funded
        claims = Claim.objects.filter(programme=self.programme)
        held = sum(c.amount for c in claims if c.status == Claim.Status.CONFIRMED)
        approved = sum(c.amount for c in claims if c.status == Claim.Status.APPROVED)
        assert budget["held"] == held
        assert budget["approved_unpaid"] == approved
        for voucher in Voucher.objects.filter(programme=self.programme).select_related(
                "account"):
            balance = voucher_balance(voucher)
            assert balance.available >= 0 and balance.held >= 0 and balance.spent >= 0
            assert balance.available + balance.held + balance.spent + balance.returned == \
                voucher.face_value
            if voucher.status == Voucher.Status.EXPIRED:
                assert balance.available == 0


def test_services_keep_the_budget_identity(db, reviewer, finance):
    """Modest by default; VOUCHERS_HYPOTHESIS_EXAMPLES=200 for a long run."""
    run_state_machine_as_test(
        lambda: VoucherLifecycle(reviewer, finance),
        settings=settings(max_examples=int(os.environ.get("VOUCHERS_HYPOTHESIS_EXAMPLES", 10)),
                          stateful_step_count=20, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
