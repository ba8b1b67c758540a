"""The chart of accounts: how programmes, vouchers and providers map onto the ledger (ADR 0006).

Fund accounting: the programme's appropriation is the one debit-normal account; every place
the appropriated money can sit is a credit-normal account. Every posting stays inside one
programme's accounts, so at every moment (to the fen)

    funded = available + issued_unspent + held + approved_unpaid + in_payment + paid
             + clawback_receivable + recovered + lapsed_returned_to_treasury

where each term is the (credit − debit) balance of its accounts (`vouchers.selectors.
programme_budget`). The limit flags put "cannot go negative" in the ledger itself, counting
holds, so the budget and every voucher refuse overdrafts under any concurrency.

| account                              | normal | limit           | moves                      |
|--------------------------------------|--------|-----------------|----------------------------|
| appropriation:<programme>            | debit  | credits ≤ debits| fund: Dr appropriation     |
| pool:<programme>                     | credit | debits ≤ credits| fund: Cr pool; issue: Dr   |
| voucher:<voucher code>               | credit | debits ≤ credits| issue: Cr; hold/expire: Dr |
| payable:<programme>:<provider id>    | credit | debits ≤ credits| approve (posted hold): Cr  |
| in_payment:<programme>               | credit | debits ≤ credits| batch sent: pending Cr     |
| paid:<programme>                     | credit | debits ≤ credits| bank settled: Cr           |
| receivable:<programme>               | credit | debits ≤ credits| clawback ordered: Cr       |
| recovery:<programme>                 | credit | debits ≤ credits| repayment received: Cr     |
| lapsed:<programme>                   | credit | debits ≤ credits| returned to the treasury   |

Postings: fund (Dr appropriation, Cr pool); issue (Dr pool, Cr voucher); confirm = pending
(Dr voucher, Cr payable); approve = post it; reject / refuse / withdraw = void it; expiry
(Dr voucher, Cr pool) for the unspent, unheld remainder, and again for each hold voided on
an expired voucher.

Settlement (settlement/, ADR 0013): a batch sent = one pending transfer per payment line,
Dr payable, Cr in_payment; the bank's `ok` posts it, and what one statement settled moves
on in one journal per programme, Dr in_payment, Cr paid; `returned` voids the hold (the
provider is owed again). A clawback ordered: Dr paid, Cr receivable
(the provider owes it back: paid history stays as it was); each repayment received: Dr
receivable, Cr recovery.
"""

from ledger import services as ledger_services
from ledger.models import Account

APPROPRIATION = "appropriation"
POOL = "pool"
VOUCHER = "voucher"
PAYABLE = "payable"
IN_PAYMENT = "in_payment"
PAID = "paid"
RECEIVABLE = "receivable"
RECOVERY = "recovery"
LAPSED = "lapsed"

#: the programme-level accounts, opened with the programme (payables and vouchers come later;
#: programmes created before settlement existed get `receivable` at their first clawback)
PROGRAMME_ACCOUNTS = (APPROPRIATION, POOL, IN_PAYMENT, PAID, RECEIVABLE, RECOVERY, LAPSED)

#: budget bucket -> account type whose (credit − debit) balance it is; "funded" is the
#: appropriation's (debit − credit) balance, "available" the pool's, vouchers split in two
BUCKET_ACCOUNTS = {
    "paid": PAID,
    "clawback_receivable": RECEIVABLE,
    "recovered": RECOVERY,
    "lapsed_returned_to_treasury": LAPSED,
}

_NAMES = {
    APPROPRIATION: "财政拨款 Appropriation",
    POOL: "可发放预算 Programme pool",
    IN_PAYMENT: "拨付在途 In payment",
    PAID: "已拨付 Paid",
    RECEIVABLE: "应追回款 Clawback receivable",
    RECOVERY: "追回款 Recoveries",
    LAPSED: "退回财政 Returned to treasury",
}


def programme_account_code(kind: str, programme_code: str) -> str:
    return f"{kind}:{programme_code}"


def programme_account(kind: str, programme_code: str):
    """The programme-level account of `kind` (opened if it predates this kind)."""
    account = Account.objects.filter(code=programme_account_code(kind, programme_code)).first()
    return account or open_programme_account(kind, programme_code)


def voucher_account_code(voucher_code: str) -> str:
    return f"{VOUCHER}:{voucher_code}"


def payable_account_code(programme_code: str, provider_public_id) -> str:
    return f"{PAYABLE}:{programme_code}:{provider_public_id}"


def payable_prefix(programme_code: str) -> str:
    return f"{PAYABLE}:{programme_code}:"


def open_programme_accounts(programme_code: str) -> dict:
    """Open (idempotently) the programme-level accounts; returns {kind: Account}."""
    return {kind: open_programme_account(kind, programme_code) for kind in PROGRAMME_ACCOUNTS}


def open_programme_account(kind: str, programme_code: str):
    """Open (idempotently) one programme-level account."""
    debit_normal = kind == APPROPRIATION
    return ledger_services.account_open(
        code=programme_account_code(kind, programme_code),
        normal_side="debit" if debit_normal else "credit",
        owner_ref=f"programme:{programme_code}",
        name=f"{programme_code} {_NAMES[kind]}",
        debits_must_not_exceed_credits=not debit_normal,
        credits_must_not_exceed_debits=debit_normal,
    )


def open_voucher_account(voucher_code: str):
    return ledger_services.account_open(
        code=voucher_account_code(voucher_code),
        normal_side="credit",
        owner_ref=f"voucher:{voucher_code}",
        name=f"创新券 Voucher {voucher_code}",
        debits_must_not_exceed_credits=True,
    )


def open_payable_account(programme_code: str, provider):
    return ledger_services.account_open(
        code=payable_account_code(programme_code, provider.public_id),
        normal_side="credit",
        owner_ref=f"organization:{provider.public_id}",
        name=f"{programme_code} 应付服务机构 Payable to {provider.name}"[:200],
        debits_must_not_exceed_credits=True,
    )


# Idempotency keys: one per business event, so a retried service call cannot post twice.
def fund_key(appropriation) -> str:
    return f"fund:{appropriation.public_id}"


def issue_key(application) -> str:
    return f"issue:{application.public_id}"


def hold_key(claim) -> str:
    return f"hold:{claim.public_id}"


def post_key(claim) -> str:
    return f"post:{claim.public_id}"


def void_key(claim) -> str:
    return f"void:{claim.public_id}"


def expire_key(voucher) -> str:
    return f"expire:{voucher.code}"


def release_after_expiry_key(claim) -> str:
    return f"expire-release:{claim.public_id}"


# Settlement (settlement/): keys per payment line, recovery and bank line.
def send_key(line) -> str:
    return f"send:{line.public_id}"


def settle_key(line) -> str:
    return f"settle:{line.public_id}"


def paid_key(source: str, programme_code: str) -> str:
    """The move of what one bank statement (or one hand resolution) settled, in one
    programme, from in-payment clearing to paid: one journal, not one per line."""
    return f"paid:{source}:{programme_code}"


def return_key(line) -> str:
    return f"return:{line.public_id}"


def clawback_key(recovery) -> str:
    return f"clawback:{recovery.public_id}"


def repayment_key(bank_line) -> str:
    return f"repayment:{bank_line.line_key}"
