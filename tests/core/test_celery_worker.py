"""Runs only in CI's worker step (`.ci/run`), with a real worker consuming from Redis."""

import os

import pytest

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"),
        reason="needs CELERY_BROKER_URL and a running worker (see .ci/run)",
    ),
]


def test_a_real_worker_runs_the_task():
    from django.conf import settings

    from core.tasks import ping

    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    result = ping.delay("from-ci")
    assert result.get(timeout=30) == {"payload": "from-ci", "database": True}


def test_a_real_worker_lays_a_statement_out_in_worker_processes():
    """In the worker's prefork pool, as `make worker` runs it: Celery marks its processes
    daemonic, and a statement's render workers must start from there all the same."""
    from reports.tasks import render_check

    assert render_check.delay(4).get(timeout=120) == {"pages": 4, "chunks": 4, "workers": 2}
