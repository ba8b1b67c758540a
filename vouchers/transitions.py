"""State machines as data (ADR 0004).

Each entity has one table: action -> (states it may start from, state it ends in). One
function, `change_status`, moves an object: it refuses an illegal move with
`invalid_transition`, saves the new status with the other changed fields, and appends the
audit event. Services call `machine.check(...)` first when they must refuse before posting
to the ledger, then `change_status(...)` as their last step.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from audit.services import audit_record
from core import rows
from core.errors import DomainError


@dataclass(frozen=True)
class StateMachine:
    entity: str  # the audit event's object_type, e.g. "claim"
    states: tuple[str, ...]
    transitions: Mapping[str, tuple[frozenset[str], str]]
    public_id: Callable = field(default=lambda obj: str(obj.public_id))

    def __post_init__(self):
        for action, (sources, target) in self.transitions.items():
            unknown = (set(sources) | {target}) - set(self.states)
            if unknown:
                raise ValueError(f"{self.entity}.{action}: unknown states {sorted(unknown)}")

    def target(self, action: str, current: str) -> str:
        """The state `action` leads to from `current`; `invalid_transition` if it may not."""
        if action not in self.transitions:
            raise ValueError(f"{self.entity} has no action {action!r}")  # a bug
        sources, target = self.transitions[action]
        if current not in sources:
            raise DomainError(
                "invalid_transition",
                f"Cannot {action.replace('_', ' ')} a {self.entity} that is {current}.",
                state=current,
            )
        return target

    check = target

    def actions_from(self, current: str) -> list[str]:
        return [a for a, (sources, _) in self.transitions.items() if current in sources]

    def edges(self) -> Iterable[tuple[str, str, str]]:
        for action, (sources, target) in self.transitions.items():
            for source in sorted(sources):
                yield source, action, target


def change_status(machine: StateMachine, obj, action: str, *, actor, fields: Iterable[str] = (),
                  after: dict | None = None, also: Iterable[rows.Update] = (),
                  expressions: dict[str, str] | None = None,
                  part: rows.Part | None = None) -> str:
    """Move `obj` by `action`, save it (status + `fields`) and append the audit event;
    `also`: other row updates of the same change, saved by the same statement;
    `part`: other work of the change run by that statement first (the ledger's deferred
    posting), with `expressions` setting fields of `obj` from it (see core.rows.Update)."""
    before = obj.status
    obj.status = machine.target(action, before)
    audit_record(
        actor=actor,
        action=f"{machine.entity}.{action}",
        object_type=machine.entity,
        object_id=machine.public_id(obj),
        before={"status": before},
        after={"status": obj.status, **(after or {})},
        writes=[*also, rows.Update(obj, ["status", *fields], expressions)],  # saved by it
        part=part,
    )
    return obj.status


# --- the tables ------------------------------------------------------------------------
# Imported late so the machinery above stays free of models (and importable from anywhere).
from vouchers.models import Application, Claim, Voucher  # noqa: E402

A = Application.Status
APPLICATION = StateMachine(
    entity="application",
    states=tuple(A.values),
    transitions={
        "approve": (frozenset({A.SUBMITTED}), A.APPROVED),
        "reject": (frozenset({A.SUBMITTED}), A.REJECTED),
    },
)

V = Voucher.Status
VOUCHER = StateMachine(
    entity="voucher",
    states=tuple(V.values),
    transitions={
        # spent to the fen, nothing held: no claim can use it any more
        "exhaust": (frozenset({V.ACTIVE}), V.EXHAUSTED),
        "expire": (frozenset({V.ACTIVE}), V.EXPIRED),
        "revoke": (frozenset({V.ACTIVE}), V.REVOKED),
    },
    public_id=lambda voucher: voucher.code,
)

C = Claim.Status
OPEN_BEFORE_APPROVAL = frozenset({C.PENDING_CONFIRMATION, C.CONFIRMED})
CLAIM = StateMachine(
    entity="claim",
    states=tuple(C.values),
    transitions={
        # the voucher's enterprise: confirming places the hold on the voucher
        "confirm": (frozenset({C.PENDING_CONFIRMATION}), C.CONFIRMED),
        "refuse": (OPEN_BEFORE_APPROVAL, C.REFUSED_BY_ENTERPRISE),
        # the provider, before approval
        "withdraw": (OPEN_BEFORE_APPROVAL, C.WITHDRAWN),
        # the reviewer: approval posts the hold, rejection releases it
        "approve": (frozenset({C.CONFIRMED}), C.APPROVED),
        "reject": (OPEN_BEFORE_APPROVAL, C.REJECTED),
        # settlement (driven by payout batches and bank statements, next issue)
        "send_for_payment": (frozenset({C.APPROVED, C.PAYMENT_FAILED}), C.IN_PAYMENT),
        "mark_paid": (frozenset({C.IN_PAYMENT}), C.PAID),
        "mark_payment_failed": (frozenset({C.IN_PAYMENT}), C.PAYMENT_FAILED),
        "order_clawback": (frozenset({C.PAID}), C.CLAWBACK_ORDERED),
        "mark_recovered": (frozenset({C.CLAWBACK_ORDERED}), C.RECOVERED),
    },
)
#: claims that blacklisting freezes: not yet paid, not finished, not already at the bank
FREEZABLE_CLAIM_STATES = frozenset(
    {C.PENDING_CONFIRMATION, C.CONFIRMED, C.APPROVED, C.PAYMENT_FAILED}
)
#: claims whose amount counts towards the provider's annual approved total
APPROVED_CLAIM_STATES = frozenset(
    {C.APPROVED, C.IN_PAYMENT, C.PAID, C.PAYMENT_FAILED, C.CLAWBACK_ORDERED, C.RECOVERED}
)
