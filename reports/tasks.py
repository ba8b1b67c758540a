"""Large statements render here, on a Celery worker (inline when no broker is set)."""

from celery import shared_task

from reports.models import IssuedStatement
from reports.services import statement_render


@shared_task(name="reports.statement_render")
def statement_render_task(statement_id: int) -> dict:
    statement = IssuedStatement.objects.get(pk=statement_id)
    statement = statement_render(statement=statement)
    return {"id": str(statement.public_id), "status": statement.status,
            "pages": statement.pages}
