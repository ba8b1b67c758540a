"""Races on PostgreSQL: two finance users sending one batch, importing one file, settling
one line from two different files, building two batches at once. Locks and the database's
unique constraints decide: nothing is sent, imported or paid twice."""

from collections import Counter

import pytest

from settlement import services
from settlement.models import BankStatement, BankStatementLine, PaymentItem, PayoutBatch
from tests.factories import member_user, staff_user
from tests.settlement.conftest import (
    approved_claim,
    check_books,
    make_programme,
    make_provider,
    statement_csv,
    yuan,
)
from tests.vouchers.test_concurrency import race
from vouchers.models import Claim

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting():
    reviewer, finance, finance2 = (staff_user("reviewer"), staff_user("finance"),
                                   staff_user("finance"))
    programme = make_programme(reviewer, finance)
    providers = [member_user(make_provider()) for _ in range(3)]
    for n, provider in enumerate(providers * 2):
        approved_claim(programme, reviewer, provider, f"{1000 + n}.00")
    return programme, finance, finance2


def approved_batch(programme, finance, finance2):
    batch = services.batch_build(programme=programme, actor=finance)
    return services.batch_approve(batch=batch, actor=finance2)


def rows_of(batch, status="ok"):
    return [(line.reference, f"{line.amount // 100}.{line.amount % 100:02d}", status)
            for line in batch.lines.order_by("pk")]


def test_two_finance_users_send_one_batch(setting):
    programme, finance, finance2 = setting
    batch = approved_batch(programme, finance, finance2)
    outcomes = race([lambda u=u: services.batch_send(batch=batch, actor=u)
                     for u in (finance, finance2)])
    assert outcomes == Counter({"ok": 1, "invalid_transition": 1})
    assert check_books(programme)["in_payment"] == batch.total
    assert Claim.objects.filter(status="in_payment").count() == 6


def test_two_imports_of_the_same_file(setting):
    programme, finance, finance2 = setting
    batch = approved_batch(programme, finance, finance2)
    services.batch_send(batch=batch, actor=finance)
    content = statement_csv(rows_of(batch))
    results = []
    outcomes = race([lambda u=u: results.append(services.bank_statement_import(
        content=content, actor=u)) for u in (finance, finance2)])
    assert outcomes == Counter({"ok": 2})
    assert sorted(r.duplicate for r in results) == [False, True]
    assert BankStatement.objects.count() == 1 and BankStatementLine.objects.count() == 3
    assert check_books(programme)["paid"] == batch.total
    assert PayoutBatch.objects.get(pk=batch.pk).status == "settled"


def test_two_files_settling_the_same_lines_at_once(setting):
    programme, finance, finance2 = setting
    batch = approved_batch(programme, finance, finance2)
    services.batch_send(batch=batch, actor=finance)
    rows = rows_of(batch)
    files = [statement_csv([*rows, ("NOISE-A", "1.00", "ok")]),
             statement_csv([*rows, ("NOISE-B", "1.00", "ok")])]
    outcomes = race([lambda f=f, u=u: services.bank_statement_import(content=f, actor=u)
                     for f, u in zip(files, (finance, finance2), strict=True)])
    assert outcomes == Counter({"ok": 2})
    # the second file found the first's lines already imported (same bank transactions)
    assert sorted(BankStatement.objects.values_list("already_imported", flat=True)) == [0, 3]
    assert PaymentItem.objects.filter(outcome="paid").count() == 6
    assert check_books(programme)["paid"] == batch.total == yuan("6015.00")


def test_two_builders_never_take_the_same_claim(setting):
    programme, finance, finance2 = setting
    outcomes = race([lambda u=u: services.batch_build(programme=programme, actor=u)
                     for u in (finance, finance2)])
    assert outcomes == Counter({"ok": 1, "nothing_to_pay": 1})
    assert PaymentItem.objects.count() == 6
