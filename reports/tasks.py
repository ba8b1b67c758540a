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


@shared_task(name="reports.render_check")
def render_check(rows: int = 4) -> dict:
    """Whether this worker can lay out a statement in parallel worker processes: a
    synthetic document of `rows` rows in one-row chunks, no database. CI runs it through
    a real prefork worker (.ci/run), whose processes Celery marks daemonic: the first
    renderer failed there."""
    from reports import rendering

    stamp = rendering.Stamp(title="检查", subtitle="render_check", code_label="验证码",
                            code="0000-0000-0000-0000", verify_url="https://example.invalid/",
                            generated="", cutoff="", page_format="第 {page} 页 共 {pages} 页")
    rendered = rendering.render_statement(
        template="reports/page_numbers.html",
        context={"page_labels": ["检查 check"]},  # one page a chunk
        rows=list(range(rows)), stamp=stamp, rows_per_chunk=1, workers=2)
    return {"pages": rendered.pages, "chunks": rendered.chunks, "workers": rendered.workers}
