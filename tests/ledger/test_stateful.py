"""A Hypothesis state machine: random holds, posts, partial posts, voids, reversals,
transfers, batches and replays against a plain Python model of the ledger.

After every step every invariant is checked: the cached counters equal the model's, they
equal what the entries say (ledger_verify), the trial balance balances, no limit flag is
breached, and the recomputed balance at the last journal equals the cached one.
"""

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ledger.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    InvalidJournal,
    LimitExceeded,
    PendingAlreadyResolved,
)
from ledger.models import Account, Journal
from ledger.selectors import balance, ledger_verify
from ledger.services import (
    JournalSpec,
    Leg,
    account_open,
    batch_post,
    journal_reverse,
    pending_post,
    pending_void,
    transfer,
)
from tests.ledger.conftest import ledger_hypothesis_settings

# name, normal side, limit flag
CHART = [
    ("treasury:T", "debit", None),
    ("pool:T", "credit", "debits_must_not_exceed_credits"),
    ("voucher:T1", "credit", "debits_must_not_exceed_credits"),
    ("voucher:T2", "credit", "debits_must_not_exceed_credits"),
    ("payable:T", "credit", None),
    ("bank:T", "debit", "credits_must_not_exceed_debits"),
]
NAMES = [c[0] for c in CHART]
amounts = st.integers(min_value=1, max_value=5_000)


@dataclass
class ModelJournal:
    key: str
    pk: int
    #: (account name, side, amount) of the posted part and of the held part
    posted: list = field(default_factory=list)
    held: list = field(default_factory=list)
    resolved: str = ""
    reversed: bool = False
    kind: str = "plain"  # plain | hold | post | void | reversal


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.accounts = {}
        self.limits = {}
        for code, side, flag in CHART:
            self.accounts[code] = account_open(
                code=code, normal_side=side,
                debits_must_not_exceed_credits=flag == "debits_must_not_exceed_credits",
                credits_must_not_exceed_debits=flag == "credits_must_not_exceed_debits",
            )
            self.limits[code] = flag
        self.counters = {code: [0, 0, 0, 0] for code in NAMES}
        self.journals: list[ModelJournal] = []
        self.requests = {}  # key -> a callable that replays the same request
        self.serial = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ------------------------------------------------------------------ model helpers

    def key(self, prefix):
        self.serial += 1
        return f"{prefix}-{self.serial}"

    def effect(self, entries):
        """entries: (name, side, amount, pending, release) -> new counters, or the first
        account (in id order) whose limit would be breached."""
        new = {n: list(c) for n, c in self.counters.items()}
        for name, side, amount, pending, release in entries:
            index = (0 if side == "debit" else 1) + (2 if pending else 0)
            new[name][index] += -amount if release else amount
        for name in NAMES:  # creation order == ascending id
            dp, cp, dpe, cpe = new[name]
            flag = self.limits[name]
            if new[name] == self.counters[name]:
                continue
            if flag == "debits_must_not_exceed_credits" and dp + dpe > cp:
                return None, name
            if flag == "credits_must_not_exceed_debits" and cp + cpe > dp:
                return None, name
        return new, None

    def apply(self, call, entries, journal: ModelJournal | None, key):
        new, breached = self.effect(entries)
        if breached is not None:
            with pytest.raises(LimitExceeded) as caught:
                call()
            assert caught.value.account_code == breached
            assert caught.value.account_id == self.accounts[breached].pk
            return None
        result = call()
        self.counters = new
        if journal is not None:
            journal.pk = result.pk
            self.journals.append(journal)
        self.requests[key] = (call, result.pk)
        return result

    # ------------------------------------------------------------------ rules

    @rule(amount=amounts)
    def fund(self, amount):
        key = self.key("fund")
        self.apply(
            lambda: transfer(key=key, debit=self.accounts["treasury:T"],
                             credit=self.accounts["pool:T"], amount=amount, kind="fund"),
            [("treasury:T", "debit", amount, False, False),
             ("pool:T", "credit", amount, False, False)],
            ModelJournal(key, 0, posted=[("treasury:T", "debit", amount),
                                         ("pool:T", "credit", amount)]),
            key,
        )

    @rule(debit=st.sampled_from(NAMES), credit=st.sampled_from(NAMES), amount=amounts,
          pending=st.booleans())
    def transfer(self, debit, credit, amount, pending):
        key = self.key("t")
        call = lambda: transfer(  # noqa: E731
            key=key, debit=self.accounts[debit], credit=self.accounts[credit], amount=amount,
            kind="t", pending=pending)
        if debit == credit:
            with pytest.raises(InvalidJournal):
                call()
            return
        legs = [(debit, "debit", amount), (credit, "credit", amount)]
        self.apply(
            call,
            [(n, s, a, pending, False) for n, s, a in legs],
            ModelJournal(key, 0, posted=[] if pending else legs, held=legs if pending else [],
                         kind="hold" if pending else "plain"),
            key,
        )

    @rule(data=st.data(), partial=st.booleans())
    def post(self, data, partial):
        holds = [j for j in self.journals if j.kind == "hold"]
        if not holds:
            return
        hold = data.draw(st.sampled_from(holds))
        total = hold.held[0][2]
        amount = data.draw(st.integers(1, total + 2)) if partial else None
        key = self.key("post")
        call = lambda: pending_post(key=key, pending=hold.pk, amount=amount)  # noqa: E731
        if hold.resolved:
            with pytest.raises(PendingAlreadyResolved):
                call()
            return
        if amount is not None and amount > total:
            with pytest.raises(InvalidJournal):
                call()
            return
        posted_amount = total if amount is None else amount
        posted = [(n, s, posted_amount) for n, s, _ in hold.held]
        entries = [(n, s, a, True, True) for n, s, a in hold.held]
        entries += [(n, s, a, False, False) for n, s, a in posted]
        if self.apply(call, entries, ModelJournal(key, 0, posted=posted, kind="post"), key):
            hold.resolved = "post"

    @rule(data=st.data())
    def void(self, data):
        holds = [j for j in self.journals if j.kind == "hold"]
        if not holds:
            return
        hold = data.draw(st.sampled_from(holds))
        key = self.key("void")
        call = lambda: pending_void(key=key, pending=hold.pk)  # noqa: E731
        if hold.resolved:
            with pytest.raises(PendingAlreadyResolved):
                call()
            return
        entries = [(n, s, a, True, True) for n, s, a in hold.held]
        if self.apply(call, entries, ModelJournal(key, 0, kind="void"), key):
            hold.resolved = "void"

    @rule(data=st.data())
    def reverse(self, data):
        if not self.journals:
            return
        original = data.draw(st.sampled_from(self.journals))
        key = self.key("rev")
        call = lambda: journal_reverse(key=key, journal=original.pk)  # noqa: E731
        if original.kind in ("hold", "void"):
            with pytest.raises(InvalidJournal):
                call()
            return
        if original.reversed:
            with pytest.raises(AlreadyReversed):
                call()
            return
        other = {"debit": "credit", "credit": "debit"}
        mirror = [(n, other[s], a) for n, s, a in original.posted]
        if self.apply(call, [(n, s, a, False, False) for n, s, a in mirror],
                      ModelJournal(key, 0, posted=mirror, kind="reversal"), key):
            original.reversed = True

    @rule(moves=st.lists(
        st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES), amounts),
        min_size=1, max_size=6))
    def batch(self, moves):
        moves = [m for m in moves if m[0] != m[1]]
        if not moves:
            return
        keys = [self.key("b") for _ in moves]
        specs = [JournalSpec(key=k, kind="b", legs=[Leg(self.accounts[d], "debit", a),
                                                  Leg(self.accounts[c], "credit", a)])
                 for k, (d, c, a) in zip(keys, moves, strict=True)]
        entries = []
        for d, c, a in moves:
            entries += [(d, "debit", a, False, False), (c, "credit", a, False, False)]
        new, breached = self.effect(entries)
        if breached is not None:
            with pytest.raises(LimitExceeded) as caught:
                batch_post(specs)
            assert caught.value.account_code == breached
            return
        journals = batch_post(specs)
        self.counters = new
        for k, (d, c, a), j in zip(keys, moves, journals, strict=True):
            self.journals.append(ModelJournal(k, j.pk, posted=[(d, "debit", a),
                                                               (c, "credit", a)]))
            self.requests[k] = (None, j.pk)

    @precondition(lambda self: any(call for call, _ in self.requests.values()))
    @rule(data=st.data())
    def replay(self, data):
        key = data.draw(st.sampled_from(sorted(k for k, (c, _) in self.requests.items() if c)))
        call, pk = self.requests[key]
        assert call().pk == pk  # and the counters must not move (checked by the invariants)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def conflicting_key(self, data):
        key = data.draw(st.sampled_from(sorted(self.requests)))
        with pytest.raises(IdempotencyConflict):
            transfer(key=key, debit=self.accounts["treasury:T"],
                     credit=self.accounts["payable:T"], amount=999_999, kind="other")

    # ------------------------------------------------------------------ invariants

    @invariant()
    def cached_counters_match_the_model(self):
        rows = {
            code: list(counters) for code, *counters in Account.objects.values_list(
                "code", "debits_posted", "credits_posted", "debits_pending", "credits_pending"
            )
        }
        assert rows == self.counters

    @invariant()
    def entries_agree_and_the_books_balance(self):
        report = ledger_verify()  # recomputes every account and checks the trial balance
        assert report.ok, report.problems

    @invariant()
    def limits_hold(self):
        for name, (dp, cp, dpe, cpe) in self.counters.items():
            assert min(dp, cp, dpe, cpe) >= 0
            if self.limits[name] == "debits_must_not_exceed_credits":
                assert dp + dpe <= cp
            if self.limits[name] == "credits_must_not_exceed_debits":
                assert cp + cpe <= dp

    @invariant()
    def history_at_the_last_journal_is_now(self):
        last = Journal.objects.order_by("-id").first()
        if last is None:
            return
        pool = self.accounts["pool:T"]
        assert balance(pool, at_journal=last) == balance(pool)


@pytest.mark.django_db
def test_ledger_state_machine():
    run_state_machine_as_test(LedgerMachine, settings=ledger_hypothesis_settings())
