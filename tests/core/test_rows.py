"""core.rows: the hot-path SQL helpers give back what the ORM would."""

from datetime import date

import pytest
from django.db import connection

from core import rows
from tests.vouchers.conftest import (
    submitted_claim,
    yuan,
)
from vouchers.models import Claim, ProviderProgramme

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim():
    return submitted_claim()


def test_build_equals_the_orm_instance_field_by_field(claim):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(Claim, 'c')} FROM vouchers_claim c WHERE c.id = %s",
                       [claim.pk])
        built = rows.build(Claim, cursor.fetchone())
    loaded = Claim.objects.get(pk=claim.pk)
    for field in Claim._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(loaded, field.attname), field.name
    assert isinstance(built.contract_date, date) and built.frozen is False
    assert not built._state.adding


def test_build_all_takes_each_model_in_turn_from_one_row(claim):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(Claim, 'c')}, {rows.columns(ProviderProgramme, 'p')}"
                       " FROM vouchers_claim c JOIN vouchers_providerprogramme p"
                       " ON p.id = c.provider_programme_id WHERE c.id = %s", [claim.pk])
        built, position = rows.build_all((Claim, ProviderProgramme), cursor.fetchone())
    assert (built.pk, built.public_id, built.amount) == (claim.pk, claim.public_id, claim.amount)
    expected = ProviderProgramme.objects.get(pk=claim.provider_programme_id)
    for field in ProviderProgramme._meta.concrete_fields:
        assert getattr(position, field.attname) == getattr(expected, field.attname), field.name


def test_update_writes_only_the_named_fields(claim):
    claim.frozen, claim.frozen_reason, claim.amount = True, "复核", 1
    rows.update(claim, ["frozen", "frozen_reason"])
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.frozen, stored.frozen_reason, stored.amount) == (True, "复核", yuan("1000.00"))


def test_update_of_a_missing_row_raises(claim):
    claim.pk = 10**9
    with pytest.raises(Claim.DoesNotExist):
        rows.update(claim, ["frozen"])


def test_insert_returns_the_saved_instance(claim):
    position = ProviderProgramme.objects.get(pk=claim.provider_programme_id)
    copy = Claim.objects.get(pk=claim.pk)
    copy.pk = None
    copy.public_id = Claim._meta.get_field("public_id").get_default()
    copy.invoice_number_normalised = "ANOTHER1"
    rows.insert(copy)
    stored = Claim.objects.get(pk=copy.pk)
    assert stored.public_id == copy.public_id and stored.provider_programme_id == position.pk
    assert stored.created_at is not None and not copy._state.adding


def _row_values(claim):
    return [getattr(claim, f.attname) for f in Claim._meta.concrete_fields]


def test_loaded_is_what_from_db_makes(claim):
    attnames = [f.attname for f in Claim._meta.concrete_fields]
    made = rows.loaded(Claim, "default", attnames, _row_values(claim))
    orm = Claim.from_db("default", attnames, _row_values(claim))
    state = lambda i: (i._state.adding, i._state.db)  # noqa: E731
    assert {k: v for k, v in vars(made).items() if k != "_state"} == {
        k: v for k, v in vars(orm).items() if k != "_state"}
    assert state(made) == state(orm) == (False, "default")
    assert made.voucher.pk == claim.voucher_id  # relations load as on an ORM instance


def test_loaded_runs_init_receivers_the_orm_way(claim):
    from django.db.models.signals import post_init

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Claim)
    try:
        attnames = [f.attname for f in Claim._meta.concrete_fields]
        made = rows.loaded(Claim, "default", attnames, _row_values(claim))
    finally:
        post_init.disconnect(receiver, sender=Claim)
    assert seen == [made]


def test_written_needs_every_field_and_nothing_else(claim):
    values = {f.attname: getattr(claim, f.attname) for f in Claim._meta.concrete_fields}
    assert rows.written(Claim, **values).public_id == claim.public_id
    with pytest.raises(TypeError):
        rows.written(Claim, **{k: v for k, v in values.items() if k != "amount"})
    with pytest.raises(TypeError):
        rows.written(Claim, **values, not_a_field=1)


def test_compact_drops_only_whitespace_sql_does_not_need():
    sql = """
    WITH j AS (
        SELECT a.id, b.x
        FROM t a JOIN u b ON b.id = a.id
        WHERE a.n <= %s AND a.m + 1 > 0 AND a.s = 'x'
    )
    SELECT count(*) FROM j
    """
    assert rows.compact(sql) == (
        "WITH j AS(SELECT a.id,b.x FROM t a JOIN u b ON b.id=a.id "
        "WHERE a.n<=%s AND a.m+1>0 AND a.s='x')SELECT count(*)FROM j"
    )
