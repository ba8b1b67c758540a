"""A claim action finds its claim (claim_for_action's stub, locked by the service in one
statement) exactly in the scope claims_visible_to gives the caller."""

import uuid

import pytest
from django.db import transaction

from core.errors import DomainError
from tests.factories import member_user, staff_user
from tests.vouchers.conftest import (
    issue,
    make_enterprise,
    make_programme,
    make_provider,
    submit,
)
from vouchers import selectors
from vouchers.queries.claims import lock_claim

pytestmark = pytest.mark.django_db


def outcome(call):
    try:
        with transaction.atomic():
            return call().pk
    except DomainError as exc:
        return exc.code


def locked_for_action(user, public_id):
    """What a claim action's service works on: the stub, locked."""
    return lock_claim(selectors.claim_for_action(user, public_id))


def test_claim_for_action_matches_the_orm_scope_for_every_kind_of_user():
    reviewer, finance = staff_user("reviewer"), staff_user("finance")
    auditor = staff_user("auditor")
    programme = make_programme(reviewer, finance)
    enterprise, other_enterprise = member_user(make_enterprise()), member_user(make_enterprise())
    provider, other_provider = member_user(make_provider()), member_user(make_provider())
    voucher = issue(programme, enterprise, reviewer, "20000.00")
    claim = submit(provider, voucher, "1000.00", invoice="2000.00")

    users = [reviewer, finance, auditor, enterprise, other_enterprise, provider, other_provider]
    ids = [claim.public_id, str(claim.public_id).upper(), uuid.uuid4(), "not-a-uuid"]
    seen = set()
    for user in users:
        for public_id in ids:
            expected = outcome(lambda u=user, p=public_id: selectors.get_for_action(
                selectors.claims_visible_to(u), p, what="claim"))
            assert outcome(lambda u=user, p=public_id: locked_for_action(u, p)) == \
                expected, (user.username, public_id)
            seen.add(expected)
    assert seen == {claim.pk, "not_found"}
