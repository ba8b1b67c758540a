"""bench/common.py: two figures the benchmarks print rest on these helpers."""

import importlib.util
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

_spec = importlib.util.spec_from_file_location(
    "bench_common", Path(__file__).resolve().parents[2] / "bench" / "common.py")
common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common)


def _select():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_round_trips_counts_begin_and_commit_and_nothing_for_autocommit_switches():
    def two_selects_in_a_transaction():
        with transaction.atomic():
            _select()
            _select()

    assert common.round_trips(_select)[1] == 1
    assert common.round_trips(two_selects_in_a_transaction)[1] == 4  # BEGIN … COMMIT


def test_autovacuum_stand_in_analyses_a_table_that_grew():
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        if cursor.fetchone()[0] == "on":
            pytest.skip("autovacuum is on: the stand-in leaves it to autovacuum")
        cursor.execute("CREATE TABLE bench_probe (n int)")
    try:
        with common.autovacuum_stand_in(check_every=0.05):
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO bench_probe SELECT generate_series(1, 500)")
            analysed = _wait_for_analyse("bench_probe", seconds=15)
        assert analysed
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_probe")


def _wait_for_analyse(table: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables"
                           " WHERE relname = %s", [table])
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.1)
    return False


def test_host_speed_samples_while_a_block_runs_and_compares_with_the_idle_loop():
    host = common.HostSpeed(every=0.01)
    assert host.idle > 0
    with host.watch() as speed:
        time.sleep(0.3)
    assert len(speed.ratios) >= 5
    assert speed.ratios == sorted(speed.ratios)
    assert speed.ratios[0] > 0
    assert speed.summary().startswith("host: a probe loop took x")
