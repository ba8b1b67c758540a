"""A statement's figures are read as of one moment (PostgreSQL): a claim approved while
a statement is being read changes none of its figures, so they still agree with each
other (read in separate snapshots, the budget missed the approval that the figures by
category counted)."""

import threading

import pytest
from django.db import connection

from reports import selectors
from reports.models import IssuedStatement
from tests.conftest import client_for
from tests.reports.conftest import build_year
from vouchers import services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)"),
]


def _approve_elsewhere(claim, reviewer) -> None:
    """Commit an approval from another connection, as another request would."""
    def approve():
        try:
            services.claim_approve(claim=claim, actor=reviewer)
        finally:
            connection.close()

    thread = threading.Thread(target=approve)
    thread.start()
    thread.join(30)


def test_an_approval_committed_while_the_statement_is_read(monkeypatch, _deferred_checks_run):
    year = build_year()
    read_budget = selectors.programme_budget
    committed = []

    def budget_then_an_approval(programme):
        budget = read_budget(programme)
        if not committed:  # between the statement's first read and the rest
            _approve_elsewhere(year.held_claim, year.reviewer)
            committed.append(True)
        return budget

    monkeypatch.setattr(selectors, "programme_budget", budget_then_an_approval)
    response = client_for(year.auditor).get(
        f"/api/v1/statements/programme/{year.programme.code}/budget-execution.pdf")
    assert committed and response.status_code == 200, response.content[:300]
    year.held_claim.refresh_from_db()
    assert year.held_claim.status == "approved"  # it did commit meanwhile
    data = IssuedStatement.objects.get().data
    assert sum(c["approved"] for c in data["categories"]) == data["executed"] == 1_750_015
