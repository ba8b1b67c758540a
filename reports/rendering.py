"""HTML templates -> one PDF with WeasyPrint (ADR 0020).

A statement is rendered in *chunks* of rows: each chunk is a whole HTML document (the
first carries the heading and summary, the last the totals and signature blocks) and
starts on a new page. One chunk for a small statement; for a large one the chunks are
laid out in parallel, in worker processes (reports.render_pool; WeasyPrint's layout is
pure Python and single-threaded: ~3 ms a table row here). The chunks' PDFs are then
concatenated with pypdf and every page gets, as form XObjects drawn over its own
content, what must be on every page: the *stamp* (running header, QR code, 验证码 and
the code, generation time and data cut-off; one page, laid out once) and its *page
number* ("第 x 页 共 y 页", one tiny page per page, laid out once the count is known).

Workers receive HTML strings and return PDF bytes; they never touch the database.
"""

import base64
import contextlib
import io
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import qrcode
from django.conf import settings
from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
)

from reports import fonts
from reports.render_pool import RenderPool
from reports.render_worker import render_html

logger = logging.getLogger(__name__)

FONT_URL_TOKEN = "__KJCXQ_STATEMENT_FONT__"


@dataclass(frozen=True)
class Stamp:
    """What every page carries (already in the statement's language)."""

    title: str
    subtitle: str
    code_label: str
    code: str
    verify_url: str
    generated: str
    cutoff: str
    page_format: str  # e.g. "第 {page} 页 共 {pages} 页"


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    chunks: int
    workers: int  # processes that laid the chunks out (1: this one)


def chunk_rows() -> int:
    return int(getattr(settings, "STATEMENT_CHUNK_ROWS", 250))


def render_workers() -> int:
    configured = getattr(settings, "STATEMENT_RENDER_WORKERS", None)
    return int(configured) if configured else (os.cpu_count() or 1)


def qr_png_data_url(text: str) -> str:
    """The QR code as a small 1-bit PNG: embedded once, drawn on every page (an SVG was
    laid out again on each page: 2.3 s and 0.5 MB for 105 pages)."""
    image = qrcode.make(text, box_size=4, border=1)
    out = io.BytesIO()
    image.save(out)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _split(rows: list, size: int) -> list[tuple[int, list]]:
    if not rows:
        return [(0, [])]
    return [(start, rows[start:start + size]) for start in range(0, len(rows), size)]


def render_statement(
    *,
    template: str,
    context: dict,
    rows: list,
    stamp: Stamp,
    landscape: bool = False,
    rows_per_chunk: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Rendered:
    """Render `template` over `rows` (in chunks) and stamp every page; returns the PDF."""
    clock = _Clock()
    chunks = _split(rows, rows_per_chunk or chunk_rows())
    workers = min(workers or render_workers(), len(chunks))
    # started first: the workers import WeasyPrint while this process writes the HTML
    with _pool(workers) as pool:
        return _render(template, context, chunks, stamp, landscape, pool, progress, clock)


def _render(template, context, chunks, stamp, landscape, pool, progress, clock) -> Rendered:
    page_css = "A4 landscape" if landscape else "A4"
    htmls = [
        render_to_string(template, {
            **context,
            "rows": chunk, "row_offset": start, "first": index == 0,
            "last": index == len(chunks) - 1, "page_size": page_css,
            "font_css": fonts.font_face_css(FONT_URL_TOKEN),
        })
        for index, (start, chunk) in enumerate(chunks)
    ]
    qr = qr_png_data_url(stamp.verify_url)
    # Pages are counted after layout, so the numbers' text is sampled for its characters.
    sample = _page_numbers_html([stamp.page_format.format(page=1, pages=1)],
                                page_size=page_css, font_css="")
    with tempfile.TemporaryDirectory(prefix="kjcxq-statement-") as directory:
        clock.lap("html")
        static = _stamp_html(stamp, qr=qr, page_size=page_css, font_css="")
        font = fonts.subset_font("".join(htmls) + static + sample,
                                 Path(directory) / "statement.ttf")
        font_css = fonts.font_face_css(font.as_uri())
        clock.lap("font subset")
        htmls = [html.replace(FONT_URL_TOKEN, font.as_uri()) for html in htmls]
        static = _stamp_html(stamp, qr=qr, page_size=page_css, font_css=font_css)
        parts = _render_all(pool, [static, *htmls], progress)
        static_pdf, parts = parts[0], parts[1:]
        clock.lap("chunks")
        readers = [PdfReader(io.BytesIO(part)) for part in parts]
        pages = sum(len(r.pages) for r in readers)
        # the labels in as many documents as there are workers, laid out at once
        labels = [stamp.page_format.format(page=n, pages=pages) for n in range(1, pages + 1)]
        size = -(-pages // (pool.size if pool else 1))
        numbers_pdfs = _render_all(pool, [
            _page_numbers_html(labels[i:i + size], page_size=page_css, font_css=font_css)
            for i in range(0, pages, size)], None)
    clock.lap("page numbers")
    writer = PdfWriter()
    for reader in readers:
        writer.append(reader)
    clock.lap("append")
    numbers = [page for pdf in numbers_pdfs for page in PdfReader(io.BytesIO(pdf)).pages]
    if len(numbers) != pages:  # a bug: one label per page
        raise RuntimeError(f"{len(numbers)} page numbers for {pages} pages")
    static_form = _form(writer, PdfReader(io.BytesIO(static_pdf)).pages[0])
    for page, number in zip(writer.pages, numbers, strict=True):
        _overlay(writer, page, [static_form, _form(writer, number)])
    writer.add_metadata({"/Title": stamp.title, "/Subject": stamp.subtitle,
                         "/Keywords": stamp.code})
    clock.lap("overlay")
    out = io.BytesIO()
    writer.write(out)
    clock.lap("write")
    workers = pool.size if pool else 1
    logger.info("statement rendered", extra={"pages": pages, "chunks": len(htmls),
                                             "workers": workers, "seconds": clock.laps})
    return Rendered(pdf=out.getvalue(), pages=pages, chunks=len(htmls), workers=workers)


def _form(writer: PdfWriter, overlay):
    """A page of another PDF as a form XObject of `writer` (a reference)."""
    form = DecodedStreamObject()
    form.set_data(overlay.get_contents().get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(FloatObject(v) for v in overlay.mediabox),
        NameObject("/Resources"): overlay["/Resources"].get_object().clone(writer),
    })
    return writer._add_object(form.flate_encode())


def _overlay(writer: PdfWriter, page, forms: list) -> None:
    """Draw the form XObjects over `page`.

    pypdf's `merge_page` parses both pages' content streams into operators and writes
    them back (12 s for 105 pages of a 2,000-line statement); forms and two tiny content
    streams around the page's own leave its content untouched.
    """
    resources = DictionaryObject(page.get("/Resources", DictionaryObject()).get_object())
    xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
    draw = b"\nQ\n"
    for index, form in enumerate(forms):
        xobjects[NameObject(f"/KJCXQStamp{index}")] = form
        draw += f"q /KJCXQStamp{index} Do Q\n".encode()
    resources[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = resources

    def stream(data: bytes):
        content = DecodedStreamObject()
        content.set_data(data)
        return writer._add_object(content)

    contents = page.get("/Contents")
    existing = contents.get_object() if contents is not None else ArrayObject()
    if not isinstance(existing, ArrayObject):
        existing = ArrayObject([contents])
    page[NameObject("/Contents")] = ArrayObject([stream(b"q\n"), *existing, stream(draw)])


class _Clock:
    def __init__(self):
        self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 3)
        self.last = now


@contextlib.contextmanager
def _pool(workers: int):
    """`workers` render workers for one statement (None: render in this process)."""
    if workers <= 1:
        yield None
        return
    try:
        pool = RenderPool(workers)
    except OSError:  # no processes allowed here: slower, same document
        logger.warning("statement workers unavailable; rendering in this process",
                       exc_info=True)
        yield None
        return
    with pool:
        yield pool


def _render_all(pool: RenderPool | None, htmls: list[str], progress) -> list[bytes]:
    if pool is not None:
        return pool.render(htmls, progress)
    parts = []
    for html in htmls:
        parts.append(render_html(html))
        if progress:
            progress(len(parts), len(htmls))
    return parts


def _stamp_html(stamp: Stamp, *, qr: str, page_size: str, font_css: str) -> str:
    return render_to_string("reports/stamp.html", {
        "stamp": stamp, "qr": qr, "page_size": page_size, "font_css": font_css})


def _page_numbers_html(labels: list[str], *, page_size: str, font_css: str) -> str:
    return render_to_string("reports/page_numbers.html", {
        "page_size": page_size, "font_css": font_css, "page_labels": labels})
