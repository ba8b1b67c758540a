"""A payout batch end to end in the clerk's numbers: build, approve, send, the bank's file,
a returned line re-batched and paid once, the budget identity after every step."""

import pytest

from core.errors import DomainError
from settlement import services
from settlement.models import PaymentLine, PayoutBatch
from tests.settlement.conftest import check_books, statement_csv, yuan
from vouchers.models import Claim


def _refresh(claims):
    return [Claim.objects.get(pk=c.pk).status for c in claims]


def test_batch_build_approve_send_settle(programme, approved, finance, finance2):
    budget = check_books(programme)
    assert budget["approved_unpaid"] == yuan("10000.00")

    batch = services.batch_build(programme=programme, actor=finance)
    assert batch.status == "draft" and batch.total == yuan("10000.00")
    lines = {line.payee_name: line for line in batch.lines.all()}
    assert sorted(line.amount for line in lines.values()) == [yuan("2000.00"), yuan("8000.00")]

    with pytest.raises(DomainError) as refused:
        services.batch_approve(batch=batch, actor=finance)
    assert refused.value.code == "four_eyes_required"
    services.batch_approve(batch=batch, actor=finance2)
    services.batch_send(batch=batch, actor=finance)
    budget = check_books(programme)
    assert budget["approved_unpaid"] == 0 and budget["in_payment"] == yuan("10000.00")
    assert _refresh(approved) == ["in_payment"] * 3

    refs = list(batch.lines.order_by("pk").values_list("reference", "amount"))
    content = statement_csv([(ref, f"{amount // 100}.{amount % 100:02d}", "ok")
                             for ref, amount in refs])
    result = services.bank_statement_import(content=content, filename="bank.csv", actor=finance)
    assert (result.statement.matched, result.statement.returned,
            result.statement.exceptions) == (2, 0, 0)
    budget = check_books(programme)
    assert budget["in_payment"] == 0 and budget["paid"] == yuan("10000.00")
    assert _refresh(approved) == ["paid"] * 3
    assert PayoutBatch.objects.get(pk=batch.pk).status == "settled"

    again = services.bank_statement_import(content=content, filename="bank.csv", actor=finance)
    assert again.duplicate and again.statement.pk == result.statement.pk
    assert check_books(programme) == budget


def test_returned_line_is_rebatched_and_paid_once(programme, approved, finance, finance2,
                                                  provider2):
    batch = services.batch_build(programme=programme, actor=finance)
    services.batch_approve(batch=batch, actor=finance2)
    services.batch_send(batch=batch, actor=finance)
    returned = batch.lines.get(provider=provider2.organization)
    settled = batch.lines.exclude(pk=returned.pk).get()
    content = statement_csv([(settled.reference, "8000.00", "ok"),
                             (returned.reference, "2000.00", "returned", "账户已销户")])
    result = services.bank_statement_import(content=content, actor=finance)
    assert (result.statement.matched, result.statement.returned) == (1, 1)
    assert PayoutBatch.objects.get(pk=batch.pk).status == "partly_failed"
    assert PaymentLine.objects.get(pk=returned.pk).status == "failed"
    assert _refresh(approved) == ["paid", "paid", "payment_failed"]
    budget = check_books(programme)
    assert budget["approved_unpaid"] == yuan("2000.00") and budget["paid"] == yuan("8000.00")

    second = services.batch_build(programme=programme, actor=finance)
    assert [line.amount for line in second.lines.all()] == [yuan("2000.00")]
    services.batch_approve(batch=second, actor=finance2)
    services.batch_send(batch=second, actor=finance2)
    line = second.lines.get()
    services.bank_statement_import(content=statement_csv([(line.reference, "2000.00", "ok")]),
                                   actor=finance)
    assert _refresh(approved) == ["paid"] * 3
    budget = check_books(programme)
    assert budget["paid"] == yuan("10000.00") and budget["approved_unpaid"] == 0
    with pytest.raises(DomainError) as nothing:
        services.batch_build(programme=programme, actor=finance)
    assert nothing.value.code == "nothing_to_pay"
