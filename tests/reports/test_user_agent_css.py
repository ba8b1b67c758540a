"""The statements' own user-agent stylesheet (reports/templates/reports/user_agent.css)
lays every statement out exactly as WeasyPrint's full HTML5 one does: same pages, same
boxes at the same places, same text. It only leaves out rules for elements the
templates do not use, which made each chunk ~18 % cheaper to lay out."""

import re
from pathlib import Path

import pytest
import weasyprint
from django.utils import timezone

from reports import rendering
from reports.render_worker import USER_AGENT_CSS, StatementHTML
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TEMPLATES = Path(rendering.__file__).parent / "templates" / "reports"


def _boxes(document) -> list[tuple]:
    return [
        (number, type(box).__name__, round(box.position_x, 3), round(box.position_y, 3),
         round(box.width or 0, 3), round(box.height or 0, 3) if box.height != "auto" else 0,
         getattr(box, "text", None))
        for number, page in enumerate(document.pages)
        for box in page._page_box.descendants()
    ]


@pytest.fixture
def documents(year, monkeypatch) -> list[str]:
    """The HTML of every document the four statements are made of (chunks, the stamp,
    the page numbers), in both languages, as the renderer hands them to WeasyPrint."""
    seen: list[str] = []

    def record(html: str) -> bytes:
        seen.append(html)
        return rendering.render_html.__wrapped__(html)

    record.__wrapped__ = rendering.render_html
    monkeypatch.setattr(rendering, "render_html", record)
    month = timezone.localdate().strftime("%Y-%m")
    code = year.programme.code
    organization = year.provider_a.organization.public_id
    for lang in ("zh-hans", "en"):
        for url in (f"payout-batch/{year.batch.public_id}.pdf",
                    f"programme/{code}/monthly.pdf?month={month}",
                    f"programme/{code}/budget-execution.pdf",
                    f"organization/{organization}.pdf"):
            separator = "&" if "?" in url else "?"
            response = client_for(year.finance).get(
                f"/api/v1/statements/{url}{separator}lang={lang}")
            assert response.status_code == 200, url
    return seen


def test_every_statement_lays_out_as_with_weasyprints_own_stylesheet(documents):
    assert len(documents) >= 8 * 3  # each statement: one chunk, the stamp, page numbers
    for html in documents:
        ours = _boxes(StatementHTML(string=html, base_url="/").render(full_fonts=True))
        theirs = _boxes(weasyprint.HTML(string=html, base_url="/").render(full_fonts=True))
        assert ours == theirs


def test_every_tag_of_the_templates_has_its_rules():
    tags = {tag.lower() for template in TEMPLATES.glob("*.html")
            for tag in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", template.read_text())}
    css = re.sub(r"/\*.*?\*/", "", USER_AGENT_CSS.read_text(), flags=re.S)
    listed = set(re.findall(r"(?<![\w.#:-])([a-z][a-z0-9]*)(?=[\s,{:])", css))
    assert tags - listed == set(), "add their rules (from WeasyPrint's html5_ua.css)"


def test_weasyprint_still_asks_the_document_for_its_stylesheets():
    """The hook is not public API: if an upgrade drops it, our stylesheet would be
    silently ignored (right output, slower); this says so at once."""
    html = "<p>x</p>"
    asked = []

    class Asking(StatementHTML):
        def _ua_stylesheets(self, forms=False):
            asked.append(forms)
            return super()._ua_stylesheets(forms)

    Asking(string=html).render()
    assert asked
