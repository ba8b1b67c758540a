"""Clawback (追回): a reviewer orders recovery of a paid claim; the provider repays it.

Paid history is never rewritten: ordering posts Dr paid, Cr receivable (what was paid is
now owed back: the budget's `paid` shrinks, `clawback_receivable` grows); each repayment
the bank reports under the clawback's reference posts Dr receivable, Cr recovery (partly
or fully). Fully repaid, the claim is `recovered`.
"""

from django.db import transaction

from accounts.models import Organization
from audit.services import Change
from core.errors import DomainError
from core.money import format_fen
from ledger import services as ledger_services
from settlement import references
from settlement.models import Recovery
from vouchers import chart
from vouchers.models import Claim
from vouchers.rules import ensure_not_own_organization
from vouchers.services import organization_blacklist
from vouchers.services.common import actor_label, clean_reason, now, user_or_none
from vouchers.transitions import CLAIM, change_status


@transaction.atomic
def claim_clawback(*, claim: Claim, actor, reason: str, blacklist: bool = False) -> Claim:
    """Order recovery of a paid claim; optionally blacklist its provider (科研失信)."""
    claim = (Claim.objects.select_for_update(no_key=True, of=("self",))
             .select_related("programme", "provider", "enterprise").get(pk=claim.pk))
    CLAIM.check("order_clawback", claim.status)
    ensure_not_own_organization(actor, claim.provider)
    ensure_not_own_organization(actor, claim.enterprise)
    reason = clean_reason(reason, required=True)
    recovery = Recovery.objects.create(
        claim=claim, programme=claim.programme, provider=claim.provider,
        reference=references.new_recovery_reference(), amount=claim.amount, reason=reason,
        ordered_by=user_or_none(actor),
    )
    code = claim.programme.code
    ledger_services.transfer(
        key=chart.clawback_key(recovery), kind="clawback.order",
        debit=chart.programme_account(chart.PAID, code).pk,
        credit=chart.programme_account(chart.RECEIVABLE, code).pk,
        amount=claim.amount, actor=actor_label(actor),
        metadata={"claim": str(claim.public_id), "reference": recovery.reference},
    )
    if blacklist and claim.provider.status != Organization.Status.BLACKLISTED:
        organization_blacklist(organization=claim.provider, actor=actor,
                               reason=f"clawback {recovery.reference}: {reason}")
    claim.clawback_reference = recovery.reference
    change_status(CLAIM, claim, "order_clawback", actor=actor, fields=["clawback_reference"],
                  after={"clawback_reference": recovery.reference, "reason": reason,
                         "amount": format_fen(recovery.amount), "blacklist": bool(blacklist)})
    return claim


def repayment_journal(recovery: Recovery, *, amount: int, key: str, label: str, why: str):
    """The posting of one repayment (Dr receivable, Cr recovery), for a batch_post."""
    code = recovery.programme.code
    return ledger_services.JournalSpec(
        key=key, kind="clawback.repayment", actor=label,
        legs=[ledger_services.Leg(chart.programme_account(chart.RECEIVABLE, code).pk, "debit",
                                  amount),
              ledger_services.Leg(chart.programme_account(chart.RECOVERY, code).pk, "credit",
                                  amount)],
        metadata={"reference": recovery.reference, "by": why},
    )


def record_repayment(recovery: Recovery, amount: int, *, actor, changes: list[Change],
                     why: str) -> None:
    """After its posting: count the repayment; fully repaid, the claim is `recovered`."""
    if not 0 < amount <= recovery.outstanding:
        raise DomainError("invalid", f"{format_fen(amount)} is not owed on {recovery.reference}.")
    recovery.recovered += amount
    update = ["recovered"]
    if recovery.outstanding == 0:
        recovery.status, recovery.closed_at = Recovery.Status.RECOVERED, now()
        update += ["status", "closed_at"]
    recovery.save(update_fields=update)
    changes.append(Change(action="recovery.repayment", object_type="recovery",
                          object_id=recovery.reference, before=None,
                          after={"amount": format_fen(amount),
                                 "recovered": format_fen(recovery.recovered),
                                 "outstanding": format_fen(recovery.outstanding), "by": why}))
    if recovery.status == Recovery.Status.RECOVERED:
        claim = Claim.objects.select_for_update(no_key=True).get(pk=recovery.claim_id)
        before = claim.status
        CLAIM.check("mark_recovered", before)
        claim.status = CLAIM.target("mark_recovered", before)
        claim.save(update_fields=["status"])
        changes.append(Change(action="claim.mark_recovered", object_type=CLAIM.entity,
                              object_id=claim.public_id, before={"status": before},
                              after={"status": claim.status,
                                     "recovered": format_fen(recovery.recovered)}))
