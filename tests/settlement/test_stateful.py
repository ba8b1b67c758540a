"""Hypothesis drives settlement with random batches and random bank files (right lines,
returns, wrong amounts, duplicates, unknown references, files imported twice), exceptions
resolved at random, clawbacks and repayments. After every step: no claim is paid twice,
every payment line is in exactly one state that agrees with its claims, the budget
identity holds to the fen, agrees with the claims, and the ledger verifies."""

import itertools
import os
from collections import Counter

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
from settlement import services
from settlement.models import PaymentItem, PaymentLine, ReconciliationException, Recovery
from tests.factories import member_user, staff_user
from tests.settlement.conftest import (
    approved_claim,
    check_books,
    make_programme,
    make_provider,
    statement_csv,
)
from vouchers.models import Claim

_programmes = itertools.count(1)
C = Claim.Status


def money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class Settlement(RuleBasedStateMachine):
    def __init__(self, reviewer, finance, finance2):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.reviewer, self.finance, self.finance2 = reviewer, finance, finance2
        self.programme = make_programme(reviewer, finance, funded="500000.00",
                                        code=f"ST-{next(_programmes)}",
                                        enterprise_annual_cap=10_000_000,
                                        provider_annual_cap=50_000_000)
        self.providers = [member_user(make_provider()) for _ in range(3)]
        self.files: list[bytes] = []
        self.days = itertools.count(1)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def sent_lines(self):
        return list(PaymentLine.objects.filter(status="sent", batch__programme=self.programme)
                    .order_by("pk"))

    @rule(who=st.integers(0, 2), yuan=st.integers(1, 3000))
    def approve_a_claim(self, who, yuan):
        approved_claim(self.programme, self.reviewer, self.providers[who], f"{yuan}.00")

    @rule()
    def build_approve_send(self):
        try:
            batch = services.batch_build(programme=self.programme, actor=self.finance)
        except DomainError as exc:
            assert exc.code == "nothing_to_pay"
            return
        services.batch_approve(batch=batch, actor=self.finance2)
        services.batch_send(batch=batch, actor=self.finance)

    @precondition(lambda self: self.sent_lines())
    @rule(data=st.data())
    def bank_file(self, data):
        rows = []
        for line in self.sent_lines():
            kind = data.draw(st.sampled_from(["ok", "ok", "returned", "wrong", "twice", "none"]))
            amount = money(line.amount)
            if kind in ("ok", "twice"):
                rows.append((line.reference, amount, "ok"))
            if kind == "twice":
                rows.append((line.reference, amount, "ok"))
            if kind == "returned":
                rows.append((line.reference, amount, "returned", "户名不符"))
            if kind == "wrong":
                rows.append((line.reference, money(line.amount + 1), "ok"))
        rows += [(f"UNKNOWN-{n}", "9.99", "ok") for n in range(data.draw(st.integers(0, 2)))]
        if not rows:
            return
        encoding = data.draw(st.sampled_from(["utf-8", "utf-8-bom", "gbk"]))
        content = statement_csv(rows, bom=encoding == "utf-8-bom",
                                encoding="gbk" if encoding == "gbk" else "utf-8")
        content += f"2026-12-{next(self.days) % 28 + 1:02d},X-{len(self.files)},1.00,6,ok,\r\n" \
            .encode()
        services.bank_statement_import(content=content, actor=self.finance)
        self.files.append(content)

    @precondition(lambda self: self.files)
    @rule(data=st.data())
    def import_an_old_file_again(self, data):
        content = data.draw(st.sampled_from(self.files))
        assert services.bank_statement_import(content=content, actor=self.finance2).duplicate

    @precondition(lambda self: ReconciliationException.objects.filter(status="open").exists())
    @rule(data=st.data())
    def resolve_an_exception(self, data):
        exception = data.draw(st.sampled_from(list(
            ReconciliationException.objects.filter(status="open").order_by("pk"))))
        action = data.draw(st.sampled_from(["acknowledge", "settle", "fail"]))
        try:
            services.exception_resolve(exception=exception, actor=self.finance, reason="核对",
                                       action=action)
        except DomainError as exc:
            assert exc.code == "invalid_transition" and action != "acknowledge"

    @precondition(lambda self: Claim.objects.filter(status=C.PAID,
                                                    programme=self.programme).exists())
    @rule(data=st.data(), part=st.integers(1, 100))
    def clawback_and_repay(self, data, part):
        claim = data.draw(st.sampled_from(list(
            Claim.objects.filter(status=C.PAID, programme=self.programme).order_by("pk"))))
        claim = services.claim_clawback(claim=claim, actor=self.reviewer, reason="追回")
        repaid = max(claim.amount * part // 100, 1)
        services.bank_statement_import(content=statement_csv(
            [(claim.clawback_reference, money(repaid), "ok")]), actor=self.finance)

    @invariant()
    def books_agree_with_claims(self):
        budget = check_books(self.programme)
        claims = list(Claim.objects.filter(programme=self.programme))
        by_status = Counter()
        for claim in claims:
            by_status[claim.status] += claim.amount
        assert budget["approved_unpaid"] == by_status[C.APPROVED] + by_status[C.PAYMENT_FAILED]
        assert budget["in_payment"] == by_status[C.IN_PAYMENT]
        recovered = sum(r.recovered for r in Recovery.objects.filter(programme=self.programme))
        assert budget["recovered"] == recovered
        assert budget["paid"] + budget["clawback_receivable"] + budget["recovered"] == (
            by_status[C.PAID] + by_status[C.CLAWBACK_ORDERED] + by_status[C.RECOVERED])

    @invariant()
    def no_claim_paid_twice_and_lines_agree(self):
        paid_items = Counter(PaymentItem.objects.filter(
            outcome="paid", line__batch__programme=self.programme)
            .values_list("claim_id", flat=True))
        assert all(n == 1 for n in paid_items.values())
        for claim in Claim.objects.filter(programme=self.programme):
            was_paid = claim.status in (C.PAID, C.CLAWBACK_ORDERED, C.RECOVERED)
            assert (paid_items[claim.pk] == 1) == was_paid, claim.status
        expected_item = {"pending": "open", "sent": "open", "settled": "paid",
                         "failed": "failed", "cancelled": "cancelled"}
        for line in PaymentLine.objects.filter(batch__programme=self.programme):
            outcomes = set(line.items.values_list("outcome", flat=True))
            assert outcomes == {expected_item[line.status]}, (line.status, outcomes)
            if line.status in ("settled", "failed"):
                self.decided_by_the_bank_or_by_hand(line)

    @staticmethod
    def decided_by_the_bank_or_by_hand(line):
        """A settled (failed) line has the bank's `ok` (`returned`) line of its exact
        amount, or an exception about it resolved by hand as settled (failed)."""
        bank_line = getattr(line, "bank_line", None)
        if bank_line is not None:
            assert bank_line.amount == line.amount
            assert bank_line.status == ("ok" if line.status == "settled" else "returned")
        else:
            assert line.exceptions.filter(status="resolved", resolution=line.status).exists()


def test_random_batches_and_bank_files_keep_the_books(db):
    """Modest by default; SETTLEMENT_HYPOTHESIS_EXAMPLES=100 for a long run."""
    reviewer, finance, finance2 = (staff_user("reviewer"), staff_user("finance"),
                                   staff_user("finance"))
    run_state_machine_as_test(
        lambda: Settlement(reviewer, finance, finance2),
        settings=settings(max_examples=int(os.environ.get("SETTLEMENT_HYPOTHESIS_EXAMPLES", 8)),
                          stateful_step_count=12, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
