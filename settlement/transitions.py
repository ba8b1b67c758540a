"""The settlement state machines as data (ADR 0004), beside the claim machine they drive.

A payout batch: draft → approved (another finance user) → sent → settled, or
partly_failed when any of its lines failed; draft and approved batches can be cancelled.
A payment line: pending → sent → settled | failed (cancelled with its batch).
"""

from settlement.models import PaymentLine, PayoutBatch, ReconciliationException
from vouchers.transitions import StateMachine

B = PayoutBatch.Status
BATCH = StateMachine(
    entity="payout_batch",
    states=tuple(B.values),
    transitions={
        "approve": (frozenset({B.DRAFT}), B.APPROVED),
        "send": (frozenset({B.APPROVED}), B.SENT),
        "settle": (frozenset({B.SENT}), B.SETTLED),
        "fail_partly": (frozenset({B.SENT}), B.PARTLY_FAILED),
        "cancel": (frozenset({B.DRAFT, B.APPROVED}), B.CANCELLED),
    },
)
#: the payment file exists once a second pair of eyes approved the batch
PAYMENT_FILE_STATES = frozenset({B.APPROVED, B.SENT, B.SETTLED, B.PARTLY_FAILED})

L = PaymentLine.Status
LINE = StateMachine(
    entity="payment_line",
    states=tuple(L.values),
    transitions={
        "send": (frozenset({L.PENDING}), L.SENT),
        "settle": (frozenset({L.SENT}), L.SETTLED),
        "fail": (frozenset({L.SENT}), L.FAILED),
        "cancel": (frozenset({L.PENDING}), L.CANCELLED),
    },
)

E = ReconciliationException.Status
EXCEPTION = StateMachine(
    entity="reconciliation_exception",
    states=tuple(E.values),
    transitions={"resolve": (frozenset({E.OPEN}), E.RESOLVED)},
)
