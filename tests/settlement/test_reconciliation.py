"""Reconciliation: what each kind of bank line does, exceptions resolved by hand, and that
nothing is half-imported or imported twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.services import audit_verify
from core.errors import DomainError
from settlement import services
from settlement.models import (
    BankStatement,
    BankStatementLine,
    PaymentLine,
    PayoutBatch,
    ReconciliationException,
)
from tests.settlement.conftest import check_books, statement_csv, yuan
from vouchers.models import Claim


@pytest.fixture
def sent(programme, approved, finance, finance2):
    batch = services.batch_build(programme=programme, actor=finance)
    services.batch_approve(batch=batch, actor=finance2)
    return services.batch_send(batch=batch, actor=finance)


def lines_of(batch) -> tuple[PaymentLine, PaymentLine]:
    big, small = sorted(batch.lines.all(), key=lambda line: -line.amount)
    return big, small  # 8,000.00 and 2,000.00


def import_rows(rows, actor, **kwargs):
    return services.bank_statement_import(content=statement_csv(rows, **kwargs), actor=actor)


def statuses(claims):
    return [Claim.objects.get(pk=c.pk).status for c in claims]


def test_unknown_reference_is_an_exception_resolved_by_hand(sent, finance, programme):
    before = check_books(programme)
    result = import_rows([("ZZ-NOT-OURS", "120.00", "ok", "其他款项")], finance)
    assert (result.statement.matched, result.statement.exceptions) == (0, 1)
    exception = ReconciliationException.objects.get()
    assert exception.kind == "unknown_reference" and exception.amount == yuan("120.00")
    assert check_books(programme) == before  # nothing absorbed

    with pytest.raises(DomainError) as no_reason:
        services.exception_resolve(exception=exception, actor=finance, reason=" ")
    assert no_reason.value.code == "invalid"
    with pytest.raises(DomainError) as cannot_settle:
        services.exception_resolve(exception=exception, actor=finance, reason="x",
                                   action="settle")
    assert cannot_settle.value.code == "invalid_transition"
    resolved = services.exception_resolve(exception=exception, actor=finance,
                                          reason="财政局其他项目的来款，与本批次无关")
    assert (resolved.status, resolved.resolution) == ("resolved", "acknowledged")
    with pytest.raises(DomainError) as twice:
        services.exception_resolve(exception=exception, actor=finance, reason="again")
    assert twice.value.code == "invalid_transition"
    assert check_books(programme) == before
    assert audit_verify().ok


def test_a_differing_amount_leaves_the_line_sent_until_resolved(sent, finance, approved,
                                                                programme):
    big, _ = lines_of(sent)
    result = import_rows([(big.reference, "7999.99", "ok")], finance)
    assert (result.statement.matched, result.statement.exceptions) == (0, 1)
    exception = ReconciliationException.objects.get()
    assert (exception.kind, exception.amount, exception.expected) == (
        "amount_mismatch", yuan("7999.99"), yuan("8000.00"))
    assert PaymentLine.objects.get(pk=big.pk).status == "sent"
    assert check_books(programme)["paid"] == 0

    services.exception_resolve(exception=exception, actor=finance, action="settle",
                               reason="银行确认全额 8000.00 已到账，回单金额录入有误")
    assert PaymentLine.objects.get(pk=big.pk).status == "settled"
    assert statuses(approved) == ["paid", "paid", "in_payment"]
    assert check_books(programme)["paid"] == yuan("8000.00")


def test_a_line_is_settled_once_a_second_ok_is_an_exception(sent, finance, approved, programme):
    big, _ = lines_of(sent)
    result = import_rows([(big.reference, "8000.00", "ok", "第一笔"),
                          (big.reference, "8000.00", "ok", "银行重复回单")], finance)
    assert (result.statement.matched, result.statement.exceptions) == (1, 1)
    assert ReconciliationException.objects.get().kind == "already_settled"
    assert check_books(programme)["paid"] == yuan("8000.00")
    later = import_rows([(big.reference, "8000.00", "returned", "迟到的退票", "2026-12-06")],
                        finance)
    assert later.statement.exceptions == 1 and later.statement.returned == 0
    assert PaymentLine.objects.get(pk=big.pk).status == "settled"
    assert check_books(programme)["paid"] == yuan("8000.00")


def test_overlapping_statements_apply_each_bank_line_once(sent, finance, programme):
    big, small = lines_of(sent)
    import_rows([(big.reference, "8000.00", "ok")], finance)
    second = import_rows([(big.reference, "8000.00", "ok"),
                          (small.reference, "2000.00", "ok")], finance, bom=True)
    assert (second.duplicate, second.statement.already_imported,
            second.statement.matched, second.statement.exceptions) == (False, 1, 1, 0)
    assert PayoutBatch.objects.get(pk=sent.pk).status == "settled"
    assert check_books(programme)["paid"] == yuan("10000.00")


def test_a_malformed_file_changes_nothing(sent, finance, programme):
    big, _ = lines_of(sent)
    before = check_books(programme)
    content = statement_csv([(big.reference, "8000.00", "ok")]) + b"2026-12-05,X,abc,62,ok,\r\n"
    with pytest.raises(DomainError) as refused:
        services.bank_statement_import(content=content, actor=finance)
    assert refused.value.extra == {"line": 3, "column": "amount"}
    assert not BankStatement.objects.exists() and not BankStatementLine.objects.exists()
    assert PaymentLine.objects.get(pk=big.pk).status == "sent"
    assert check_books(programme) == before


def test_a_line_without_bank_answer_after_its_due_date(sent, finance, approved, programme,
                                                       set_today):
    big, small = lines_of(sent)
    assert services.missing_bank_lines_check(as_of=sent.due_on) == 0  # not overdue yet
    set_today(sent.due_on + timedelta(days=1))
    result = import_rows([(big.reference, "8000.00", "ok")], finance)
    assert result.missing_flagged == 1 and result.statement.exceptions == 0
    missing = ReconciliationException.objects.get(kind="missing_bank_line")
    assert missing.payment_line_id == small.pk
    assert services.missing_bank_lines_check() == 0  # reported once

    services.exception_resolve(exception=missing, actor=finance, action="fail",
                               reason="银行确认该笔未付出")
    assert PaymentLine.objects.get(pk=small.pk).status == "failed"
    assert statuses(approved) == ["paid", "paid", "payment_failed"]
    assert PayoutBatch.objects.get(pk=sent.pk).status == "partly_failed"
    budget = check_books(programme)
    assert budget["approved_unpaid"] == yuan("2000.00") and budget["in_payment"] == 0


def test_a_late_bank_line_closes_the_missing_line_exception(sent, finance, set_today):
    _, small = lines_of(sent)
    set_today(sent.due_on + timedelta(days=2))
    services.missing_bank_lines_check()
    import_rows([(small.reference, "2000.00", "ok")], finance)
    missing = ReconciliationException.objects.get(kind="missing_bank_line", payment_line=small)
    assert (missing.status, missing.resolution) == ("resolved", "settled")
    still = ReconciliationException.objects.exclude(pk=missing.pk).get()
    assert still.status == "open"
    assert "bank line 2" in missing.reason


def test_a_line_the_bank_answered_with_another_amount_is_not_also_missing(sent, finance,
                                                                          set_today):
    _, small = lines_of(sent)
    import_rows([(small.reference, "1999.00", "ok")], finance)
    set_today(sent.due_on + timedelta(days=2))
    assert services.missing_bank_lines_check() == 1  # the other line, unanswered
    kinds = sorted(ReconciliationException.objects.filter(payment_line=small)
                   .values_list("kind", flat=True))
    assert kinds == ["amount_mismatch"]


def test_a_line_of_a_batch_not_yet_sent_is_not_paid(programme, approved, finance, finance2):
    batch = services.batch_build(programme=programme, actor=finance)
    line = batch.lines.first()
    result = import_rows([(line.reference, f"{line.amount // 100}.00", "ok")], finance)
    assert ReconciliationException.objects.get().kind == "not_sent"
    assert result.statement.matched == 0
    assert PaymentLine.objects.get(pk=line.pk).status == "pending"


def test_cancelled_batch_frees_its_claims(programme, approved, finance, finance2):
    batch = services.batch_build(programme=programme, actor=finance)
    with pytest.raises(DomainError):
        services.batch_build(programme=programme, actor=finance2)  # all claims taken
    services.batch_cancel(batch=batch, actor=finance, reason="金额需复核")
    again = services.batch_build(programme=programme, actor=finance2)
    assert again.total == yuan("10000.00")
    with pytest.raises(DomainError) as refused:
        services.batch_send(batch=batch, actor=finance)
    assert refused.value.code == "invalid_transition"


def test_a_cancelled_batch_leaves_an_event_per_line(programme, approved, finance):
    from audit.models import AuditEvent

    batch = services.batch_build(programme=programme, actor=finance)
    references = sorted(batch.lines.values_list("reference", flat=True))
    services.batch_cancel(batch=batch, actor=finance, reason="金额需复核")
    cancelled = AuditEvent.objects.filter(action="payment_line.cancel")
    assert sorted(cancelled.values_list("object_id", flat=True)) == references
    assert all(e.after == {"status": "cancelled"} for e in cancelled)
    assert audit_verify().ok


def test_once_finance_took_the_payment_file_the_batch_cannot_be_cancelled(
        programme, approved, finance, finance2):
    """The bank may pay a file it was given: cancelling would let the same claims be
    batched and paid again."""
    from tests.factories import staff_user

    batch = services.batch_approve(
        batch=services.batch_build(programme=programme, actor=finance), actor=finance2)
    services.batch_payment_file(batch=batch, actor=staff_user("auditor"))  # a read
    batch.refresh_from_db()
    assert batch.file_exported_at is None
    content = services.batch_payment_file(batch=batch, actor=finance2)
    assert content.startswith("\ufeffreference,".encode())
    batch.refresh_from_db()
    assert batch.file_exported_by == finance2 and batch.file_exported_at is not None
    with pytest.raises(DomainError) as refused:
        services.batch_cancel(batch=batch, actor=finance, reason="金额需复核")
    assert refused.value.code == "invalid_transition" and "exported" in refused.value.detail
    with pytest.raises(DomainError):  # every claim is still in this batch
        services.batch_build(programme=programme, actor=finance)
    assert services.batch_send(batch=batch, actor=finance).status == "sent"


def test_blacklisted_provider_stops_the_batch(programme, approved, finance, finance2, reviewer,
                                              provider2):
    from vouchers.services import organization_blacklist

    batch = services.batch_build(programme=programme, actor=finance)
    organization_blacklist(organization=provider2.organization, reason="科研失信",
                           actor=reviewer)
    with pytest.raises(DomainError) as refused:
        services.batch_approve(batch=batch, actor=finance2)
    assert refused.value.code == "blacklisted"
    services.batch_cancel(batch=batch, actor=finance, reason="服务机构被列入失信名单")
    rebuilt = services.batch_build(programme=programme, actor=finance)
    assert rebuilt.total == yuan("8000.00")  # the blacklisted provider is left out


def test_audit_trail_of_a_settlement_verifies(sent, finance):
    big, small = lines_of(sent)
    import_rows([(big.reference, "8000.00", "ok"), (small.reference, "2000.00", "returned")],
                finance)
    report = audit_verify()
    assert report.ok, report
    from audit.models import AuditEvent
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"payout_batch.build", "payout_batch.approve", "payout_batch.send",
            "payment_line.send", "claim.send_for_payment", "claim.mark_paid",
            "claim.mark_payment_failed", "payment_line.settle", "payment_line.fail",
            "payout_batch.fail_partly", "bank_statement.import"} <= actions
    assert timezone.now()
