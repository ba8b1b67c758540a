"""The render workers (reports.render_pool, reports.render_worker): separate processes
that answer each document with its PDF, report a failure as a failure, and can be
started from a daemonic process (a Celery prefork worker), where multiprocessing
refuses to start children."""

import io
import multiprocessing
import os

import pytest
from pypdf import PdfReader

from reports import render_worker
from reports.render_pool import RenderPool


def _html(text: str) -> str:
    return f"<!DOCTYPE html><html><body><p>{text}</p></body></html>"


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_each_document_comes_back_as_its_own_pdf_in_order():
    documents = [_html(f"document {n}") for n in range(5)]
    seen = []
    with RenderPool(2) as pool:
        assert len({worker.pid for worker in pool._workers} - {os.getpid()}) == 2
        pdfs = pool.render(documents, progress=lambda done, total: seen.append((done, total)))
    assert [_text(pdf) for pdf in pdfs] == [f"document {n}" for n in range(5)]
    assert seen == [(n, 5) for n in range(1, 6)]


def test_the_workers_exit_when_the_pool_closes():
    pool = RenderPool(2)
    workers = list(pool._workers)
    pool.close()
    assert [worker.returncode for worker in workers] == [0, 0]


def test_a_worker_that_dies_fails_the_statement():
    with RenderPool(1) as pool:
        pool._workers[0].kill()
        with pytest.raises(RuntimeError, match="stopped"):
            pool.render([_html("x")])


def test_a_document_that_fails_comes_back_as_the_workers_traceback(monkeypatch):
    """serve() answers a failure with status 1 and the traceback, then goes on."""
    calls = iter([ValueError("no layout for this"), b"%PDF-ok"])

    def render(html):
        result = next(calls)
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr(render_worker, "render_html", render)
    stdin, stdout = io.BytesIO(), io.BytesIO()
    render_worker.write_frame(stdin, b"<p>a</p>")
    render_worker.write_frame(stdin, b"<p>b</p>")
    stdin.seek(0)
    render_worker.serve(stdin, stdout)
    stdout.seek(0)
    assert render_worker.read_exactly(stdout, 1) == render_worker.FAILED
    message = render_worker.read_exactly(
        stdout, int.from_bytes(render_worker.read_exactly(stdout, 8), "big"))
    assert b"ValueError: no layout for this" in message
    assert render_worker.read_exactly(stdout, 1) == render_worker.OK
    assert render_worker.read_exactly(stdout, 8) == (7).to_bytes(8, "big")


def _render_in_a_daemon(results):
    with RenderPool(2) as pool:
        results.put([_text(pdf) for pdf in pool.render([_html("a"), _html("b")])])


def test_a_daemonic_process_can_start_the_workers():
    """Celery's prefork pool marks its processes daemonic, as this one is."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    daemon = context.Process(target=_render_in_a_daemon, args=(results,), daemon=True)
    daemon.start()
    assert results.get(timeout=60) == ["a", "b"]
    daemon.join(timeout=10)
    assert daemon.exitcode == 0


def test_the_render_check_task_uses_two_workers():
    """What CI asks of a real Celery worker (tests/core/test_celery_worker.py), here."""
    from reports.tasks import render_check

    assert render_check(3) == {"pages": 3, "chunks": 3, "workers": 2}
