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
