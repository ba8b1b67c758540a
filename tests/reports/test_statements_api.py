"""The statement endpoints: PDFs with the right figures, reconciled to the ledger."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.money import fen_to_chinese_capital
from ledger.models import Entry
from reports import selectors
from reports.models import IssuedStatement
from tests.conftest import client_for
from tests.reports.conftest import assert_cjk_covered, pdf_text, send_batch
from vouchers.selectors import programme_budget

pytestmark = pytest.mark.django_db


def _get(user, url):
    return client_for(user).get(url)


def _code(pdf_pages: list[str]) -> str:
    codes = {m for page in pdf_pages for m in re.findall(
        r"(?:验证码|Verification code)\s*([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})",
        page)}
    assert len(codes) == 1, codes
    return codes.pop()


# --- payout batch -----------------------------------------------------------------------


def test_payout_batch_statement_lists_lines_claims_and_totals(year):
    response = _get(year.finance, f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(pdf_text(response.content))
    for line in year.batch.lines.all():
        assert line.reference in text
        assert line.provider.uscc in text
        assert line.payee_account in text
    for claim in year.claims:
        assert claim.invoice_number in text
    assert "¥7,500.05" in text and "¥10,000.10" in text
    assert "¥17,500.15" in text
    assert "壹万柒仟伍佰元壹角伍分" in text
    assert "科学技术局（盖章）" in text and "财政局（盖章）" in text
    assert_cjk_covered(response.content)


def test_payout_batch_total_is_what_the_ledger_posted_for_its_claims(year):
    data = selectors.payout_batch_statement(year.batch, lang="zh-hans")
    posted = sum(Entry.objects.filter(
        journal__idempotency_key__in=[f"post:{c.public_id}" for c in year.claims],
        side="credit", pending=False).values_list("amount", flat=True))
    assert data["totals"]["total"] == posted == 1_750_015
    assert data["totals"] == {"total": 1_750_015, "lines": 2, "claims": 3}


def test_a_sent_batch_reconciles_with_its_ledger_holds(year):
    batch = send_batch(year)
    data = selectors.payout_batch_statement(batch, lang="zh-hans")
    assert data["batch"]["status"] == "sent" and data["batch"]["sent_by"]
    holds = sum(Entry.objects.filter(
        journal_id__in=batch.lines.values("hold_journal_id"), side="credit",
        pending=True, release=False).values_list("amount", flat=True))
    assert holds == data["totals"]["total"] == 1_750_015
    month = timezone.localdate()
    monthly = selectors.programme_monthly_statement(
        year.programme, first=month.replace(day=1),
        last=selectors.parse_month(month.strftime("%Y-%m"))[1], lang="zh-hans")
    closing = {r["bucket"]: r["closing"] for r in monthly["buckets"]}
    assert closing == programme_budget(year.programme).as_dict()
    assert closing["in_payment"] == 1_750_015 and closing["approved_unpaid"] == 0
    assert monthly["flows"]["sent_for_payment"] == 1_750_015


def test_a_batch_that_disagrees_with_the_ledger_is_not_printed(year):
    line = year.batch.lines.first()
    item = line.items.first()
    type(item).objects.filter(pk=item.pk).update(amount=item.amount - 1)
    with pytest.raises(selectors.StatementDoesNotReconcile):
        selectors.payout_batch_statement(year.batch, lang="zh-hans")


def test_unknown_batch_is_not_found(year):
    response = _get(year.finance, "/api/v1/statements/payout-batch/"
                                  "00000000-0000-0000-0000-000000000000.pdf")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- the code on every page, and its verification ---------------------------------------


def test_every_page_carries_the_code_page_numbers_and_cutoff(year, settings):
    # one row a chunk: two pages, each from its own document, numbered as one
    issued = _issue_batch(year, rows_per_chunk=1)
    pages = pdf_text(bytes(issued.pdf))
    assert len(pages) == issued.pages == 2
    code = f"{issued.code[:4]}-{issued.code[4:8]}-{issued.code[8:12]}-{issued.code[12:]}"
    for number, page in enumerate(pages, 1):
        assert f"验证码 {code}" in page
        assert f"第 {number} 页 共 2 页" in page
        assert "数据截至" in page and "生成时间" in page
        assert "科技创新券拨付清单" in page


def _issue_batch(year, **render_options):
    from reports.services import statement_issue, statement_render

    data = selectors.payout_batch_statement(year.batch, lang="zh-hans")
    issued = statement_issue(kind="payout_batch",
                             parameters={"batch": str(year.batch.public_id)}, data=data,
                             lang="zh-hans", actor=year.finance)
    statement = issued.statement
    if render_options:
        IssuedStatement.objects.filter(pk=statement.pk).update(status="pending")
        statement.refresh_from_db()
        statement_render(statement=statement, **render_options)
        statement.refresh_from_db()
    return statement


def test_verification_round_trip(year, api_client):
    response = _get(year.auditor, f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf")
    code = _code(pdf_text(response.content))
    assert response["X-Verification-Code"] == code
    answer = api_client.get(f"/api/v1/statements/verify/{code}/")  # anyone, no sign-in
    assert answer.status_code == 200
    body = answer.json()
    assert body["valid"] is True
    assert body["kind"] == "payout_batch"
    assert body["batch"] == str(year.batch.public_id)
    assert body["totals"]["total"] == "17500.15"
    assert body["issued_at"]
    statement = IssuedStatement.objects.get(code=code.replace("-", ""))
    from reports.verification import data_digest, digest
    assert body["pdf_digest"] == digest(response.content) == statement.pdf_digest
    assert body["data_digest"] == data_digest({
        "kind": statement.kind, "parameters": statement.parameters, "lang": statement.lang,
        "data": statement.data})
    # typed by hand: lower case, no dashes, O for 0
    typed = code.replace("-", "").lower().replace("0", "o")
    assert api_client.get(f"/api/v1/statements/verify/{typed}/").status_code == 200


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC-DDDD", "not-a-code", "0" * 16])
def test_a_code_never_issued_is_not_found(db, api_client, code):
    response = api_client.get(f"/api/v1/statements/verify/{code}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response["Content-Type"] == "application/problem+json"


def test_two_issues_of_the_same_statement_have_different_codes(year):
    first = _issue_batch(year)
    second = _issue_batch(year)
    assert first.data_digest != second.data_digest or first.issued_at != second.issued_at
    assert first.code != second.code


# --- languages --------------------------------------------------------------------------


def test_english_with_lang_en(year):
    response = _get(year.finance,
                    f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf?lang=en")
    pages = pdf_text(response.content)
    text = "\n".join(pages)
    assert "Payout batch statement" in text
    assert "Page 1 of 1" in text
    assert "Verification code" in text
    assert "壹万柒仟伍佰元壹角伍分" in text  # the capitals are Chinese by law


def test_bad_lang_is_invalid(year):
    response = _get(year.finance,
                    f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf?lang=fr")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- monthly settlement ------------------------------------------------------------------


def test_monthly_statement_reconciles_with_the_ledger(year):
    month = timezone.localdate().strftime("%Y-%m")
    response = _get(year.finance, f"/api/v1/statements/programme/{year.programme.code}/"
                                  f"monthly.pdf?month={month}")
    assert response.status_code == 200
    text = "\n".join(pdf_text(response.content))
    assert "科技创新券月度结算表" in text
    first = timezone.localdate().replace(day=1)
    data = selectors.programme_monthly_statement(
        year.programme, first=first, last=selectors.parse_month(month)[1], lang="zh-hans")
    budget = programme_budget(year.programme)
    rows = {r["bucket"]: r for r in data["buckets"]}
    for bucket, amount in budget.as_dict().items():
        assert rows[bucket]["closing"] == amount
        assert rows[bucket]["opening"] + rows[bucket]["change"] == amount
    assert data["flows"]["funded"] == 100_000_000
    assert data["flows"]["issued"] == 5_000_000
    assert data["flows"]["approved"] == 1_750_015
    assert data["flows"]["holds_placed"] == 1_850_015
    assert data["flows"]["holds_released"] == 1_750_015
    assert budget.held == 100_000
    assert "¥1,000,000.00" in text and "壹佰万元整" in text


def test_monthly_statement_of_an_earlier_month_opens_and_closes_at_zero(year):
    last_month_end = timezone.localdate().replace(day=1) - timedelta(days=1)
    data = selectors.programme_monthly_statement(
        year.programme, first=last_month_end.replace(day=1), last=last_month_end,
        lang="zh-hans")
    assert all(r["opening"] == r["closing"] == 0 for r in data["buckets"])


@pytest.mark.parametrize("month", ["", "2026-13", "2026-1", "26-01", "abcd-ef"])
def test_monthly_needs_a_month(year, month):
    response = _get(year.finance, f"/api/v1/statements/programme/{year.programme.code}/"
                                  f"monthly.pdf?month={month}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- budget execution --------------------------------------------------------------------


def test_budget_execution_by_district_and_category(year):
    response = _get(year.auditor, f"/api/v1/statements/programme/{year.programme.code}/"
                                  "budget-execution.pdf")
    assert response.status_code == 200
    text = "\n".join(pdf_text(response.content))
    assert "科技创新券预算执行情况表" in text
    assert "按区县" in text and "按服务类别" in text
    data = selectors.budget_execution_statement(year.programme, lang="zh-hans")
    districts = {d["code"]: d for d in data["districts"]}
    assert districts["430102"]["issued"] == 2_000_000
    assert districts["430104"]["issued"] == 3_000_000
    assert districts["430102"]["spent"] == 500_000
    assert districts["430104"]["spent"] == 1_250_015
    categories = {c["code"]: c for c in data["categories"]}
    assert categories["testing"]["approved"] == 750_005
    assert categories["rd_design"]["approved"] == 1_000_010
    budget = programme_budget(year.programme)
    assert data["executed"] == budget.approved_unpaid + budget.in_payment + budget.paid
    assert data["totals"]["funded"] == budget.funded == 100_000_000
    assert fen_to_chinese_capital(data["executed"]) in text


def test_unknown_programme_is_not_found(year):
    response = _get(year.finance, "/api/v1/statements/programme/XX-1999/budget-execution.pdf")
    assert response.status_code == 404


# --- per organisation ---------------------------------------------------------------------


def test_provider_statement_over_a_period(year):
    provider = year.provider_a.organization
    today = timezone.localdate()
    response = _get(year.provider_a, f"/api/v1/statements/organization/{provider.public_id}"
                                     f".pdf?from={today.replace(day=1)}&to={today}")
    assert response.status_code == 200
    text = "\n".join(pdf_text(response.content))
    assert provider.name in text and provider.uscc in text
    data = selectors.organization_statement(
        provider, period=selectors.Period(today.replace(day=1), today), lang="zh-hans")
    assert data["totals"]["claims_amount"] == 750_005
    assert data["totals"]["credits"] == 750_005
    assert data["totals"]["closing"] == 750_005
    assert "¥7,500.05" in text and "柒仟伍佰元零伍分" in text


def test_enterprise_statement_over_a_period(year):
    enterprise = year.enterprise_b.organization
    today = timezone.localdate()
    data = selectors.organization_statement(
        enterprise, period=selectors.Period(date(today.year, 1, 1), today), lang="zh-hans")
    assert data["totals"]["credits"] == 3_000_000  # issued
    assert data["totals"]["debits"] == 1_250_015   # spent
    assert data["totals"]["closing"] == 1_749_985
    assert data["totals"]["claims_amount"] == 1_250_015


def test_a_period_before_anything_happened_is_empty(year):
    enterprise = year.enterprise_b.organization
    data = selectors.organization_statement(
        enterprise, period=selectors.Period(date(2001, 1, 1), date(2001, 12, 31)),
        lang="zh-hans")
    assert data["totals"] == {"opening": 0, "credits": 0, "debits": 0, "closing": 0,
                              "claims": 0, "claims_amount": 0}


def test_bad_period_is_invalid(year):
    org = year.provider_a.organization
    for query in ("from=2026-02-30", "from=2026-12-01&to=2026-01-01", "to=20260101"):
        response = _get(year.finance,
                        f"/api/v1/statements/organization/{org.public_id}.pdf?{query}")
        assert response.status_code == 400, query


def test_a_client_may_ask_for_application_pdf(year):
    client = client_for(year.finance)
    url = f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf"
    response = client.get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    refused = client.get(url.replace(str(year.batch.public_id), "nope"),
                         HTTP_ACCEPT="application/pdf")
    assert refused.status_code == 404
    assert refused["Content-Type"] == "application/problem+json"
    assert b'"not_found"' in refused.content


def test_small_statements_are_never_split(year, settings):
    """Only the payout batch and organisation templates continue a table across chunks;
    the others keep their tables out of `rows`, so a tiny chunk size changes nothing."""
    settings.STATEMENT_CHUNK_ROWS = 1
    month = timezone.localdate().strftime("%Y-%m")
    response = _get(year.finance, f"/api/v1/statements/programme/{year.programme.code}/"
                                  f"monthly.pdf?month={month}")
    text = "\n".join(pdf_text(response.content))
    assert text.count("科技创新券月度结算表") == 2  # the heading and the stamp's header


def test_issuing_a_statement_is_audited(year):
    from audit.models import AuditEvent

    response = _get(year.finance, f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf")
    statement = IssuedStatement.objects.get()
    event = AuditEvent.objects.get(action="statement.issue")
    assert event.object_id == str(statement.public_id) and event.actor_id == year.finance.pk
    assert event.after["code"] == response["X-Verification-Code"]
    assert event.after["data_digest"] == statement.data_digest


def test_the_issuing_bureaus_are_those_of_the_programmes_city(year, settings):
    text = "\n".join(pdf_text(_get(
        year.finance, f"/api/v1/statements/payout-batch/{year.batch.public_id}.pdf").content))
    assert "长沙市科学技术局 · 长沙市财政局" in text  # CS-: region 430100
    year.programme.region_code = "420100"
    year.programme.save(update_fields=["region_code"])
    data = selectors.budget_execution_statement(year.programme, lang="zh-hans")
    assert data["authority"] == "武汉市科学技术局 · 武汉市财政局"
    settings.STATEMENT_CITY_REGION = "420100"  # a statement of no one programme
    organization = selectors.organization_statement(
        year.provider_a.organization, period=selectors.Period(date(2026, 1, 1),
                                                              date(2026, 12, 31)),
        lang="zh-hans")
    assert organization["authority"] == "武汉市科学技术局 · 武汉市财政局"
