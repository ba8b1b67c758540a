"""What the ledger refuses, and what it treats as a bug.

`LedgerError` subclasses are refusals a caller can act on; each has a stable `code`.
Callers map them to their own domain codes (a voucher account's `LimitExceeded` becomes
`insufficient_voucher_balance`, a programme pool's becomes `budget_exhausted`), so the
exceptions carry the data needed to say why.

`LedgerInvariantBroken` is deliberately *not* a `LedgerError`: it means the database
refused something Python should already have refused (a CHECK constraint, a trigger). That
is a bug; it is logged loudly and must surface as a 500, never as a 4xx.
"""


class LedgerError(Exception):
    """Base of refusals a caller can act on."""

    code = "ledger_error"

    def __init__(self, message: str = ""):
        self.message = message or self.__class__.__doc__ or self.code
        super().__init__(self.message)


class LimitExceeded(LedgerError):
    """A `debits_must_not_exceed_credits` (or mirror) flag would be breached."""

    code = "limit_exceeded"

    def __init__(
        self,
        *,
        account_id: int,
        account_code: str,
        available: int,
        limit: str,
        owner_ref: str = "",
    ):
        self.account_id = account_id
        self.account_code = account_code
        self.owner_ref = owner_ref
        #: what the account could still give, in fen (posted minus pending away from it)
        self.available = available
        #: the flag that would be breached: "debits_must_not_exceed_credits" or the mirror
        self.limit = limit
        super().__init__(
            f"account {account_code} (id {account_id}) would breach {limit}; "
            f"available {available} fen"
        )


class IdempotencyConflict(LedgerError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_conflict"

    def __init__(self, key: str, journal_id: int | None = None):
        self.key = key
        self.journal_id = journal_id
        super().__init__(f"idempotency key {key!r} was used for a different request")


class PendingAlreadyResolved(LedgerError):
    """The pending journal was already posted or voided."""

    code = "pending_already_resolved"

    def __init__(self, pending_id: int, resolution: str = ""):
        self.pending_id = pending_id
        self.resolution = resolution
        how = f" ({resolution})" if resolution else ""
        super().__init__(f"pending journal {pending_id} is already resolved{how}")


class AlreadyReversed(LedgerError):
    """The journal was already reversed."""

    code = "already_reversed"

    def __init__(self, journal_id: int):
        self.journal_id = journal_id
        super().__init__(f"journal {journal_id} is already reversed")


class InvalidJournal(LedgerError):
    """The request cannot be a journal (unbalanced, fewer than two legs, amount <= 0...)."""

    code = "invalid_journal"


class LedgerInvariantBroken(Exception):
    """The database refused a ledger invariant that Python should have caught: a bug."""
