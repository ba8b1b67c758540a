"""Writes: one function per use case, `<entity>_<action>`, keyword-only, one transaction each.

Each service locks the rows it changes, posts the ledger in the same transaction, and
appends its audit event last (vouchers.transitions.change_status or audit_record).
"""

from vouchers.services.applications import (
    application_approve,
    application_reject,
    application_submit,
)
from vouchers.services.blacklist import claims_freeze_for_organization, organization_blacklist
from vouchers.services.claims import (
    claim_approve,
    claim_confirm,
    claim_refuse,
    claim_reject,
    claim_submit,
    claim_unfreeze,
    claim_withdraw,
)
from vouchers.services.expiry import ExpiryRun, voucher_expire, vouchers_expire
from vouchers.services.programmes import programme_create, programme_fund

__all__ = [
    "ExpiryRun",
    "application_approve",
    "application_reject",
    "application_submit",
    "claim_approve",
    "claim_confirm",
    "claim_refuse",
    "claim_reject",
    "claim_submit",
    "claim_unfreeze",
    "claim_withdraw",
    "claims_freeze_for_organization",
    "organization_blacklist",
    "programme_create",
    "programme_fund",
    "voucher_expire",
    "vouchers_expire",
]
