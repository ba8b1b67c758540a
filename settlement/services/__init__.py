"""Writes: one function per use case, `<entity>_<action>`, keyword-only, one transaction
each; set-based (a batch of 10,000 claims is a handful of statements, not 10,000)."""

from settlement.services.batches import (
    batch_approve,
    batch_build,
    batch_cancel,
    batch_payment_file,
    batch_send,
    payable_claims,
)
from settlement.services.clawback import claim_clawback
from settlement.services.exceptions import exception_resolve, missing_bank_lines_check
from settlement.services.statements import ImportResult, bank_statement_import

__all__ = [
    "ImportResult",
    "bank_statement_import",
    "batch_approve",
    "batch_build",
    "batch_cancel",
    "batch_payment_file",
    "batch_send",
    "claim_clawback",
    "exception_resolve",
    "missing_bank_lines_check",
    "payable_claims",
]
