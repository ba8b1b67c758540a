"""A statement's render worker: HTML in, PDF bytes out (run by reports.render_pool).

`python -m reports.render_worker` reads documents from its stdin and writes their PDFs
to its stdout, one at a time, until its stdin closes. It imports WeasyPrint and nothing
else (no Django, no database): a worker starts in ~0.5 s, carries a small heap, and dies
with the process that feeds it (its stdin closes), however that one ends.

Frames: a document is its length (8 bytes, big-endian) then its UTF-8 HTML; the answer
is one status byte (0: a PDF follows, 1: an error message follows), a length, the bytes.
"""

import sys
import traceback
from pathlib import Path

from weasyprint import CSS, HTML

USER_AGENT_CSS = Path(__file__).parent / "templates" / "reports" / "user_agent.css"
_user_agent = CSS(filename=str(USER_AGENT_CSS))

OK, FAILED = b"\x00", b"\x01"


class StatementHTML(HTML):
    """An HTML document with the statements' own user-agent stylesheet.

    WeasyPrint has no public option for it; `_ua_stylesheets` is the method its own test
    suite overrides for "a lighter UA stylesheet" (FakeHTML). WeasyPrint is pinned in
    the lock file, and tests/reports/test_user_agent_css.py fails if the hook goes.
    """

    def _ua_stylesheets(self, forms=False):
        return [_user_agent]


def render_html(html: str) -> bytes:
    """One chunk of a statement, laid out and written as PDF."""
    # full_fonts: the font is already this statement's own subset; WeasyPrint's subsetting
    # it again per chunk cost ~0.3 s each and saved nothing
    return StatementHTML(string=html, base_url="/").write_pdf(full_fonts=True)


def write_frame(stream, payload: bytes, status: bytes = b"") -> None:
    stream.write(status + len(payload).to_bytes(8, "big") + payload)
    stream.flush()


def read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError(f"stream ended after {len(data)} of {size} bytes")
    return data


def serve(stdin, stdout) -> None:
    """Answer every document on `stdin` until it closes."""
    while header := stdin.read(8):
        html = read_exactly(stdin, int.from_bytes(header, "big")).decode()
        try:
            pdf = render_html(html)
        except Exception:  # the statement fails with this worker's traceback
            write_frame(stdout, traceback.format_exc().encode(), FAILED)
        else:
            write_frame(stdout, pdf, OK)


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
