"""Issuing a statement: read its data, record it with its digest and code, render it.

`statement_issue` reads the figures (reports.selectors, reconciled to the ledger), stores
them with the code that will be printed, and renders the PDF at once when the statement
is small. A large one is left `pending` for `reports.tasks.statement_render` (a Celery
task; inline when no broker is configured), which records its progress as it goes.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from reports import rendering, verification
from reports.labels import labels
from reports.models import IssuedStatement

logger = logging.getLogger(__name__)

TEMPLATES = {
    IssuedStatement.Kind.PAYOUT_BATCH: ("reports/payout_batch.html", True),
    IssuedStatement.Kind.PROGRAMME_MONTHLY: ("reports/programme_monthly.html", False),
    IssuedStatement.Kind.BUDGET_EXECUTION: ("reports/budget_execution.html", False),
    IssuedStatement.Kind.ORGANIZATION: ("reports/organization.html", False),
}


def async_threshold() -> int:
    """Statements with more rows than this render on a worker (202 + job URL)."""
    return int(getattr(settings, "STATEMENT_ASYNC_ROWS", 300))


def verify_url(code: str) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/api/v1/statements/verify/{verification.format_code(code)}/"


@dataclass(frozen=True)
class Issued:
    statement: IssuedStatement
    rendered_now: bool


def statement_issue(*, kind: str, parameters: dict, data: dict, lang: str, actor,
                    cutoff=None) -> Issued:
    """Record the statement (data, digests, code); render it now unless it is large."""
    cutoff = cutoff or timezone.now()
    issued_at = timezone.now()
    data_digest = verification.data_digest({"kind": kind, "parameters": parameters,
                                            "lang": lang, "data": data})
    code = verification.statement_code(kind=kind, parameters=parameters,
                                       data_digest=data_digest,
                                       issued_at=issued_at.isoformat())
    with transaction.atomic():
        statement = IssuedStatement.objects.create(
            kind=kind, parameters=parameters, lang=lang, code=code, totals=data["totals"],
            data=data, data_digest=data_digest, rows=len(data.get("rows", [])),
            data_cutoff=cutoff, issued_at=issued_at, issued_by=actor,
        )
        audit_record(actor=actor, action="statement.issue", object_type="statement",
                     object_id=statement.public_id, before=None,
                     after={"kind": kind, "parameters": parameters, "lang": lang,
                            "code": verification.format_code(code),
                            "data_digest": data_digest, "rows": statement.rows})
    if statement.rows > async_threshold():
        return Issued(statement, rendered_now=False)
    # in the request's own process: no worker processes started from a web server
    statement_render(statement=statement, workers=1)
    return Issued(statement, rendered_now=True)


def _stamp(statement: IssuedStatement) -> rendering.Stamp:
    words = labels(statement.lang)
    data = statement.data
    if statement.kind == IssuedStatement.Kind.PAYOUT_BATCH:
        subtitle = f"{data['batch']['programme']} · {words['batch']} {data['batch']['id']}"
    elif "programme" in data:
        period = data.get("period", {})
        subtitle = " ".join(filter(None, [data["programme"]["code"],
                                          period.get("month", "")]))
    else:
        subtitle = (f"{data['organization']['name']} · {data['period']['from']} – "
                    f"{data['period']['to']}")
    local = timezone.localtime
    return rendering.Stamp(
        title=words[statement.kind], subtitle=subtitle, code_label=words["code_label"],
        code=verification.format_code(statement.code), verify_url=verify_url(statement.code),
        generated=f"{words['generated']} {local(statement.issued_at):%Y-%m-%d %H:%M:%S}",
        cutoff=f"{words['cutoff']} {local(statement.data_cutoff):%Y-%m-%d %H:%M:%S}",
        page_format=words["page_format"],
    )


def statement_render(*, statement: IssuedStatement, progress_every: bool = True,
                     rows_per_chunk: int | None = None, workers: int | None = None
                     ) -> IssuedStatement:
    """Render the stored data to the PDF and record its digest (idempotent when ready)."""
    if statement.status == IssuedStatement.Status.READY:
        return statement
    IssuedStatement.objects.filter(pk=statement.pk).update(
        status=IssuedStatement.Status.RENDERING)
    template, landscape = TEMPLATES[statement.kind]

    def progress(done: int, total: int) -> None:
        if progress_every:
            IssuedStatement.objects.filter(pk=statement.pk).update(
                progress=min(99, done * 100 // total))

    try:
        rendered = rendering.render_statement(
            template=template,
            context={"data": statement.data, "L": labels(statement.lang),
                     "lang": statement.lang},
            rows=statement.data.get("rows", []), stamp=_stamp(statement),
            landscape=landscape, progress=progress, rows_per_chunk=rows_per_chunk,
            workers=workers,
        )
    except Exception as exc:
        logger.exception("statement %s failed to render", statement.public_id)
        IssuedStatement.objects.filter(pk=statement.pk).update(
            status=IssuedStatement.Status.FAILED, error=str(exc)[:500])
        raise
    with transaction.atomic():
        statement.pdf = rendered.pdf
        statement.pdf_digest = verification.digest(rendered.pdf)
        statement.pages = rendered.pages
        statement.status = IssuedStatement.Status.READY
        statement.progress = 100
        statement.rendered_at = timezone.now()
        statement.save(update_fields=["pdf", "pdf_digest", "pages", "status", "progress",
                                      "rendered_at"])
    return statement
