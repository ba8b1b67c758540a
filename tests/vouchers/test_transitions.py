"""The claim machine as data: every state is reachable, every illegal move is refused."""

import pytest

from audit.models import AuditEvent
from core.errors import DomainError
from tests.vouchers.conftest import submit
from vouchers import services
from vouchers.models import Claim
from vouchers.transitions import APPLICATION, CLAIM, VOUCHER, StateMachine, change_status

C = Claim.Status


def test_tables_name_only_known_states():
    for machine in (APPLICATION, VOUCHER, CLAIM):
        reachable = {target for _, _, target in machine.edges()}
        sources = {source for source, _, _ in machine.edges()}
        assert reachable | sources <= set(machine.states)
    with pytest.raises(ValueError, match="unknown states"):
        StateMachine(entity="x", states=("a",), transitions={"go": (frozenset({"a"}), "b")})


def test_every_claim_state_is_reachable_from_pending_confirmation():
    seen, frontier = {C.PENDING_CONFIRMATION}, [C.PENDING_CONFIRMATION]
    while frontier:
        state = frontier.pop()
        for action in CLAIM.actions_from(state):
            target = CLAIM.target(action, state)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(C.values)


def test_spec_edges():
    expected = {
        ("pending_confirmation", "confirm", "confirmed"),
        ("confirmed", "approve", "approved"),
        ("approved", "send_for_payment", "in_payment"),
        ("in_payment", "mark_paid", "paid"),
        ("in_payment", "mark_payment_failed", "payment_failed"),
        ("payment_failed", "send_for_payment", "in_payment"),
        ("paid", "order_clawback", "clawback_ordered"),
        ("clawback_ordered", "mark_recovered", "recovered"),
        ("pending_confirmation", "refuse", "refused_by_enterprise"),
        ("confirmed", "refuse", "refused_by_enterprise"),
        ("pending_confirmation", "withdraw", "withdrawn"),
        ("confirmed", "withdraw", "withdrawn"),
        ("pending_confirmation", "reject", "rejected"),
        ("confirmed", "reject", "rejected"),
    }
    assert set(CLAIM.edges()) == expected


@pytest.mark.parametrize("state", list(C.values))
def test_every_illegal_claim_move_is_invalid_transition(state):
    for action in CLAIM.transitions:
        if action in CLAIM.actions_from(state):
            continue
        with pytest.raises(DomainError) as exc:
            CLAIM.target(action, state)
        assert exc.value.code == "invalid_transition"


def test_change_status_walks_settlement_states_with_audit(voucher, provider, enterprise,
                                                          reviewer):
    """in_payment / paid / payment_failed / clawback are driven by settlement (next issue);
    here the table itself takes a claim through them, each move audited."""
    claim = submit(provider, voucher, "5000.00", invoice="10000.00")
    claim = services.claim_confirm(claim=claim, actor=enterprise)
    claim = services.claim_approve(claim=claim, actor=reviewer)
    path = ["send_for_payment", "mark_payment_failed", "send_for_payment", "mark_paid",
            "order_clawback", "mark_recovered"]
    states = []
    for action in path:
        states.append(change_status(CLAIM, claim, action, actor="settlement-test"))
    assert states == ["in_payment", "payment_failed", "in_payment", "paid",
                      "clawback_ordered", "recovered"]
    claim.refresh_from_db()
    assert claim.status == C.RECOVERED
    events = list(AuditEvent.objects.filter(object_type="claim", object_id=str(claim.public_id))
                  .values_list("action", flat=True))
    assert events == ["claim.submit", "claim.confirm", "claim.approve",
                      *[f"claim.{a}" for a in path]]
    with pytest.raises(DomainError) as exc:
        change_status(CLAIM, claim, "approve", actor="x")
    assert exc.value.code == "invalid_transition"
