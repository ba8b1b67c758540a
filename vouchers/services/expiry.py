"""Expiry: after `valid_until`, a voucher is expired and its unspent, unheld remainder goes
back to the programme pool (Dr voucher, Cr pool). Holds still pending stay until resolved;
what they release later also returns (claims._release_hold).

One transaction per voucher, so a long run can be interrupted and resumed; a voucher is
only ever expired once (its status) and its ledger key is `expire:<code>`, so running the
same day twice, or overlapping runs, move nothing the second time.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from core.money import format_fen
from ledger import services as ledger_services
from ledger.models import Account
from vouchers import chart
from vouchers.models import Programme, Voucher
from vouchers.rules import today
from vouchers.services.common import actor_label
from vouchers.transitions import VOUCHER, change_status


@dataclass
class ExpiryRun:
    as_of: date
    programme: str | None = None
    expired: int = 0
    returned: int = 0  # fen moved back to the pools by this run
    still_held: int = 0  # fen held by pending claims on the vouchers this run expired
    vouchers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VoucherExpiry:
    code: str
    returned: int
    held: int


@transaction.atomic
def voucher_expire(*, voucher: Voucher, as_of: date, actor=None) -> VoucherExpiry | None:
    """Expire one voucher if it is active and `as_of` is after its `valid_until`."""
    voucher = (
        Voucher.objects.select_for_update(no_key=True, of=("self",))
        .select_related("programme")
        .get(pk=voucher.pk)
    )
    if voucher.status != Voucher.Status.ACTIVE or as_of <= voucher.valid_until:
        return None
    # Read under the voucher's lock: every movement of this account holds the same lock.
    credits, debits, held = Account.objects.values_list(
        "credits_posted", "debits_posted", "debits_pending"
    ).get(pk=voucher.account_id)
    remainder = credits - debits - held
    if remainder > 0:
        ledger_services.transfer(
            key=chart.expire_key(voucher), kind="voucher.expire",
            debit=voucher.account_id, credit=voucher.programme.pool_account_id, amount=remainder,
            actor=actor_label(actor), savepoint=False,
            metadata={"voucher": voucher.code, "as_of": as_of.isoformat()},
        )
        voucher.returned += remainder
    change_status(VOUCHER, voucher, "expire", actor=actor, fields=["returned"],
                  after={"as_of": as_of, "returned": format_fen(remainder),
                         "still_held": format_fen(held)})
    return VoucherExpiry(code=voucher.code, returned=remainder, held=held)


def vouchers_expire(*, as_of: date | None = None, programme: Programme | None = None,
                    actor=None) -> ExpiryRun:
    """Expire every active voucher past `valid_until` on `as_of` (default: today)."""
    as_of = as_of or today()
    run = ExpiryRun(as_of=as_of, programme=programme.code if programme else None)
    due = Voucher.objects.filter(status=Voucher.Status.ACTIVE, valid_until__lt=as_of)
    if programme is not None:
        due = due.filter(programme=programme)
    for voucher in due.only("pk").order_by("pk").iterator(chunk_size=500):
        result = voucher_expire(voucher=voucher, as_of=as_of, actor=actor)
        if result is not None:
            run.expired += 1
            run.returned += result.returned
            run.still_held += result.held
            run.vouchers.append(result.code)
    return run
