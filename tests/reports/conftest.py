"""A programme year in the officer's own numbers, with a payout batch, for statements.

CS-<year> is funded 1,000,000.00. Two enterprises (芙蓉区 and 岳麓区) get vouchers of
20,000.00 and 30,000.00; two providers claim 5,000.00 + 2,500.05 and 10,000.10; all three
claims are approved, and a fourth (1,000.00) is only confirmed (held). Finance builds the
payout batch (settlement's `batch_build`): two lines, 7,500.05 and 10,000.10, 17,500.15
in all; `send_batch` approves (a second finance user) and sends it.
"""

import io
import re
from dataclasses import dataclass

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from settlement import services as settlement_services
from settlement.models import PayoutBatch
from tests.factories import member_user, staff_user
from tests.vouchers.conftest import (  # noqa: F401 (the fixture runs the deferred checks)
    _deferred_checks_run,
    issue,
    make_enterprise,
    make_programme,
    make_provider,
    submit,
)
from vouchers import services


@dataclass
class Year:
    programme: object
    reviewer: object
    finance: object
    auditor: object
    enterprise_a: object  # users
    enterprise_b: object
    provider_a: object
    provider_b: object
    claims: list
    held_claim: object
    batch: PayoutBatch


def send_batch(year: "Year") -> PayoutBatch:
    """Approve (four eyes: another finance user) and send the year's batch."""
    approver = staff_user("finance")
    batch = settlement_services.batch_approve(batch=year.batch, actor=approver)
    return settlement_services.batch_send(batch=batch, actor=year.finance)


def approved_claim(provider, voucher, amount, invoice, reviewer, enterprise, category="testing"):
    claim = submit(provider, voucher, amount, invoice=invoice, category=category)
    claim = services.claim_confirm(claim=claim, actor=enterprise)
    return services.claim_approve(claim=claim, actor=reviewer)


@pytest.fixture
def year(db) -> Year:
    return build_year()


def build_year() -> Year:
    reviewer, finance, auditor = (staff_user("reviewer"), staff_user("finance"),
                                  staff_user("auditor"))
    programme = make_programme(reviewer, finance)
    enterprise_a = member_user(make_enterprise(name="长沙麓谷测试科技有限公司",
                                               region_code="430102"))
    enterprise_b = member_user(make_enterprise(name="湖南岳麓精密仪器有限公司",
                                               region_code="430104"))
    provider_a = member_user(make_provider(name="湖南省检验检测研究院"))
    provider_b = member_user(make_provider(name="中南大学技术转移中心",
                                           categories=["rd_design", "testing"]))
    voucher_a = issue(programme, enterprise_a, reviewer, "20000.00")
    voucher_b = issue(programme, enterprise_b, reviewer, "30000.00")
    claims = [
        approved_claim(provider_a, voucher_a, "5000.00", "12000.00", reviewer, enterprise_a),
        approved_claim(provider_a, voucher_b, "2500.05", "6000.00", reviewer, enterprise_b),
        approved_claim(provider_b, voucher_b, "10000.10", "25000.00", reviewer, enterprise_b,
                       category="rd_design"),
    ]
    held = services.claim_confirm(
        claim=submit(provider_b, voucher_a, "1000.00", invoice="3000.00"), actor=enterprise_a)
    batch = settlement_services.batch_build(programme=programme, actor=finance)
    return Year(programme, reviewer, finance, auditor, enterprise_a, enterprise_b,
                provider_a, provider_b, claims, held, batch)


# --- reading PDFs ----------------------------------------------------------------------


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def embedded_fonts(pdf: bytes) -> list[TTFont]:
    """Every embedded TrueType font program (FontFile2) of the PDF, as fontTools fonts:
    those of the pages and of the form XObjects they draw (the stamp is one)."""
    reader = PdfReader(io.BytesIO(pdf))
    fonts, seen = [], set()

    def walk(resources):
        resources = resources.get_object() if resources is not None else {}
        for font_ref in (resources.get("/Font") or {}).values():
            font = font_ref.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                file_ref = descriptor.get_object().get("/FontFile2")
                if file_ref is None or file_ref.idnum in seen:
                    continue
                seen.add(file_ref.idnum)
                fonts.append(TTFont(io.BytesIO(file_ref.get_object().get_data())))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return fonts


def cjk_characters(texts) -> set[str]:
    return set(re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", "".join(texts)))


def assert_cjk_covered(pdf: bytes) -> None:
    """Every CJK character in the PDF's text has a real glyph in an embedded font."""
    chars = cjk_characters(pdf_text(pdf))
    assert chars, "no Chinese text extracted"
    fonts = embedded_fonts(pdf)
    assert fonts, "no embedded TrueType font"
    covered = set()
    for font in fonts:
        glyf = font.get("glyf")
        for codepoint, name in font.getBestCmap().items():
            if glyf is None or glyf[name].numberOfContours != 0:
                covered.add(chr(codepoint))
    missing = {ch for ch in chars if ch not in covered and not ch.isspace()
               and ch not in "\u3000"}
    assert not missing, f"CJK characters without a glyph: {''.join(sorted(missing))}"
