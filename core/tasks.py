"""A task CI runs through a real worker on Redis, proving the Celery wiring end to end."""

from celery import shared_task
from django.db import connection


@shared_task(name="core.ping")
def ping(payload: str = "pong") -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"payload": payload, "database": one == 1}
