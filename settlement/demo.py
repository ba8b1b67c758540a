"""Demo settlement for `make run`, through the real services: after the voucher demo, one
payout batch built by `finance`, approved by `finance2`, sent and answered by a demo bank
statement (a line paid, a transfer nobody recognises left as an open exception), and one
more approved claim waiting for the next batch. Idempotent: once the demo programme has a
batch, nothing changes."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.money import format_fen, parse_yuan
from settlement import services
from settlement.models import PayoutBatch, ReconciliationException
from vouchers import services as voucher_services
from vouchers.models import Programme, Voucher


@transaction.atomic
def load_demo_settlement(programme_code: str) -> list[str]:
    programme = Programme.objects.filter(code=programme_code).first()
    if programme is None:
        return []
    if not PayoutBatch.objects.filter(programme=programme).exists():
        _settle(programme)
    batches = PayoutBatch.objects.filter(programme=programme).count()
    open_exceptions = ReconciliationException.objects.filter(status="open").count()
    return [f"settlement 拨付: {batches} payout batch(es); {open_exceptions} open "
            "reconciliation exception(s) 待处理差异"]


def _settle(programme: Programme) -> None:
    users = {u.username: u for u in User.objects.select_related("organization").filter(
        username__in=["reviewer", "finance", "finance2", "enterprise2", "provider3"])}
    batch = services.batch_build(programme=programme, actor=users["finance"])
    services.batch_approve(batch=batch, actor=users["finance2"])
    services.batch_send(batch=batch, actor=users["finance"])
    today = timezone.localdate().isoformat()
    rows = ["date,reference,amount,account,status,note"]
    rows += [f"{today},{line.reference},{format_fen(line.amount)},{line.payee_account},ok,"
             "代发成功" for line in batch.lines.all()]
    rows.append(f"{today},HN-UNKNOWN-0001,1200.00,6217000000000000,ok,来源不明的来款")
    services.bank_statement_import(content="\r\n".join(rows).encode(), filename="demo.csv",
                                   actor=users["finance"])
    # one more approved claim, for the next batch
    voucher = Voucher.objects.filter(programme=programme,
                                     enterprise=users["enterprise2"].organization).first()
    if voucher is None:
        return
    claim = voucher_services.claim_submit(
        provider=users["provider3"].organization, voucher_code=voucher.code,
        category="instrument_sharing", contract_number=f"HT-{programme.code}-900",
        contract_date=timezone.localdate(), invoice_number=f"DEMO-{programme.code}-0900",
        invoice_amount=parse_yuan("9000.00"), amount=parse_yuan("4500.00"),
        actor=users["provider3"])
    claim = voucher_services.claim_confirm(claim=claim, actor=users["enterprise2"])
    voucher_services.claim_approve(claim=claim, actor=users["reviewer"])
