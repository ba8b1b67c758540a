"""HTML templates -> one PDF with WeasyPrint (ADR 0020).

A statement is rendered in *chunks* of rows: each chunk is a whole HTML document (the
first carries the heading and summary, the last the totals and signature blocks) and
starts on a new page. One chunk for a small statement; for a large one the chunks are
laid out in parallel, in forked worker processes (WeasyPrint's layout is pure Python and
single-threaded: ~4 ms a table row here). The chunks' PDFs are then concatenated and
every page is stamped with what must be on every page and needs the whole document:
the running header, "第 x 页 共 y 页", the generation time and data cut-off, the
verification code after 验证码 and its QR code. The stamp is a second WeasyPrint document
with one page per page of the statement, overlaid with pypdf.

Workers receive HTML strings and return PDF bytes; they never touch the database.
"""

import base64
import io
import logging
import multiprocessing
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from reports import fonts

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


def chunk_rows() -> int:
    return int(getattr(settings, "STATEMENT_CHUNK_ROWS", 250))


def render_workers() -> int:
    configured = getattr(settings, "STATEMENT_RENDER_WORKERS", None)
    return int(configured) if configured else (os.cpu_count() or 1)


def qr_svg_data_url(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                        border=1)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def _render_html(html: str) -> bytes:
    """One chunk (in a worker process, or in this one for a single chunk)."""
    return HTML(string=html, base_url="/").write_pdf()


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
    chunks = _split(rows, rows_per_chunk or chunk_rows())
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
    qr = qr_svg_data_url(stamp.verify_url)
    # Pages are counted after layout, so the stamp's text is sampled for its characters.
    sample = _stamp_html(stamp, pages=1, qr=qr, page_size=page_css, font_css="")
    with tempfile.TemporaryDirectory(prefix="kjcxq-statement-") as directory:
        font = fonts.subset_font("".join(htmls) + sample, Path(directory) / "statement.ttf")
        font_url = font.as_uri()
        htmls = [html.replace(FONT_URL_TOKEN, font_url) for html in htmls]
        parts = _render_chunks(htmls, workers or render_workers(), progress)
        readers = [PdfReader(io.BytesIO(part)) for part in parts]
        pages = sum(len(r.pages) for r in readers)
        stamp_pdf = _render_html(_stamp_html(
            stamp, pages=pages, qr=qr, page_size=page_css,
            font_css=fonts.font_face_css(font_url),
        ))
    writer = PdfWriter()
    for reader in readers:
        writer.append(reader)
    stamp_pages = PdfReader(io.BytesIO(stamp_pdf)).pages
    if len(stamp_pages) != pages:  # a bug: the stamp must have one page per page
        raise RuntimeError(f"stamp has {len(stamp_pages)} pages for {pages}")
    for page, overlay in zip(writer.pages, stamp_pages, strict=True):
        page.merge_page(overlay)
    writer.add_metadata({"/Title": stamp.title, "/Subject": stamp.subtitle,
                         "/Keywords": stamp.code})
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return Rendered(pdf=out.getvalue(), pages=pages, chunks=len(htmls))


def _render_chunks(htmls: list[str], workers: int, progress) -> list[bytes]:
    total = len(htmls)
    if total == 1 or workers <= 1:
        parts = []
        for html in htmls:
            parts.append(_render_html(html))
            if progress:
                progress(len(parts), total)
        return parts
    # fork: the workers start at once and inherit the imported WeasyPrint; they only
    # get strings and return bytes, and leave through os._exit (no connection closed).
    context = multiprocessing.get_context("fork")
    parts: list[bytes | None] = [None] * total
    with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=context) as pool:
        futures = {pool.submit(_render_html, html): i for i, html in enumerate(htmls)}
        for done, future in enumerate(as_completed(futures), 1):
            parts[futures[future]] = future.result()
            if progress:
                progress(done, total)
    return parts  # type: ignore[return-value]


def _stamp_html(stamp: Stamp, *, pages: int, qr: str, page_size: str, font_css: str) -> str:
    return render_to_string("reports/stamp.html", {
        "stamp": stamp, "qr": qr, "page_size": page_size, "font_css": font_css,
        "page_labels": [stamp.page_format.format(page=n, pages=pages)
                        for n in range(1, pages + 1)],
    })
