"""Settlement pages: finance builds, approves (another finance user), sends, downloads the
payment file, imports the bank's file and resolves what did not match; auditors read;
a reviewer orders a clawback from the claims page. Data in the clerk's numbers (claims
from tests/settlement/conftest.py's approved_claim): provider 5,000.00 + 3,000.00,
provider2 2,000.00."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Organization
from settlement import services
from settlement.models import BankStatement, PayoutBatch, ReconciliationException
from tests.factories import member_user, staff_user
from tests.settlement.conftest import approved_claim, statement_csv
from tests.vouchers.conftest import make_provider
from tests.web.conftest import signed_in
from vouchers.models import Claim


@pytest.fixture
def finance2(db):
    """A second finance user: the one who approves what `finance` built."""
    return staff_user("finance")


@pytest.fixture
def provider2(db):
    return member_user(make_provider(name="中南大学分析测试中心"))


@pytest.fixture
def approved(programme, reviewer, provider, provider2):
    """Three approved claims: 5,000.00 and 3,000.00 of provider, 2,000.00 of provider2."""
    return [approved_claim(programme, reviewer, provider, "5000.00"),
            approved_claim(programme, reviewer, provider, "3000.00"),
            approved_claim(programme, reviewer, provider2, "2000.00")]


def _upload(client, content: bytes, name: str = "bank.csv", **kwargs):
    return client.post(reverse("settlement-statement-upload"),
                       {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
                       **kwargs)


def _sent_batch(programme, finance, finance2) -> PayoutBatch:
    batch = services.batch_build(programme=programme, actor=finance)
    services.batch_approve(batch=batch, actor=finance2)
    return services.batch_send(batch=batch, actor=finance)


def _statuses(claims) -> list[str]:
    return [Claim.objects.get(pk=c.pk).status for c in claims]


def test_finance_pays_a_batch_from_build_to_reconciliation(programme, approved, finance,
                                                           finance2, provider, provider2):
    client, other = signed_in(finance), signed_in(finance2)
    listing = client.get(reverse("settlement-batches")).content.decode()
    assert reverse("settlement-batch-build") in listing

    # build: the draft page shows one line per provider with its claims and amount
    response = client.post(reverse("settlement-batch-build"), {"programme": programme.code},
                           follow=True)
    batch = PayoutBatch.objects.get()
    assert response.redirect_chain[-1][0] == reverse("settlement-batch", args=[batch.public_id])
    html = response.content.decode()
    assert f"已为 {programme.code} 生成拨付批次草稿" in html
    assert provider.organization.name in html and provider2.organization.name in html
    assert "8000.00" in html and "2000.00" in html and "10000.00" in html
    assert reverse("settlement-batch-file", args=[batch.public_id]) not in html  # not yet

    # the builder's own approval is refused on the page, and nothing changes
    approve = reverse("settlement-batch-action", args=[batch.public_id, "approve"])
    response = client.post(approve, follow=True)
    assert response.status_code == 200
    assert "须由另一人办理" in response.content.decode()
    assert PayoutBatch.objects.get().status == "draft"

    # another finance user approves; the payment file appears
    html = other.post(approve, follow=True).content.decode()
    assert "批次已复核通过" in html
    file_url = reverse("settlement-batch-file", args=[batch.public_id])
    assert file_url in html
    assert f"{finance2.get_username()} ·" in html

    download = client.get(file_url)
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["reference", "payee_name", "payee_account", "payee_bank", "amount"]
    lines = {line.provider_id: line for line in batch.lines.all()}
    assert sorted(row[4] for row in rows[1:]) == ["2000.00", "8000.00"]
    api_file = client.get(f"/api/v1/payout-batches/{batch.public_id}/payment-file/")
    assert api_file.content == download.content  # the same bytes as the API's

    # send: claims go in payment
    html = client.post(reverse("settlement-batch-action", args=[batch.public_id, "send"]),
                       follow=True).content.decode()
    assert "批次已标记为发送银行" in html
    assert PayoutBatch.objects.get().status == "sent"
    assert _statuses(approved) == ["in_payment"] * 3

    # the bank's file: one ok line, one returned, one reference nobody knows
    paid, returned = lines[provider.organization.pk], lines[provider2.organization.pk]
    content = statement_csv([(paid.reference, "8000.00", "ok"),
                             (returned.reference, "2000.00", "returned", "账户已销户"),
                             ("UNKNOWN-REF-1", "123.45", "ok", "他行来账")])
    response = _upload(client, content, follow=True)
    statement = BankStatement.objects.get()
    assert response.redirect_chain[-1][0] == reverse("settlement-statement",
                                                     args=[statement.public_id])
    html = response.content.decode()
    assert "对账单已导入：匹配 1 笔，退回 1 笔，差异 1 笔，此前已导入 0 笔。" in html
    assert 'data-count="matched">1<' in html and 'data-count="exceptions">1<' in html
    assert "UNKNOWN-REF-1" in html
    assert _statuses(approved) == ["paid", "paid", "payment_failed"]
    assert PayoutBatch.objects.get().status == "partly_failed"
    assert "bank.csv" in client.get(reverse("settlement-statements")).content.decode()

    # the same file again changes nothing
    html = _upload(client, content, follow=True).content.decode()
    assert "此文件此前已导入" in html
    assert BankStatement.objects.count() == 1

    # the unknown reference is an open exception; finance resolves it with a reason
    exception = ReconciliationException.objects.get()
    assert exception.kind == "unknown_reference"
    html = client.get(reverse("settlement-exceptions")).content.decode()
    resolve = reverse("settlement-exception-resolve", args=[exception.public_id])
    assert "UNKNOWN-REF-1" in html and resolve in html
    html = client.post(resolve, {"action": "acknowledge", "reason": "他行误入账，已退回"},
                       follow=True).content.decode()
    assert "差异已处理" in html
    exception.refresh_from_db()
    assert (exception.status, exception.resolution, exception.reason) == (
        "resolved", "acknowledged", "他行误入账，已退回")
    assert "UNKNOWN-REF-1" not in html  # open ones only, by default
    assert "UNKNOWN-REF-1" in client.get(
        reverse("settlement-exceptions") + "?status=all").content.decode()


def test_resolving_without_a_reason_is_refused(programme, approved, finance, finance2):
    batch = _sent_batch(programme, finance, finance2)
    services.bank_statement_import(
        content=statement_csv([("NOBODY-1", "10.00", "ok")]), actor=finance)
    exception = ReconciliationException.objects.get()
    html = signed_in(finance).post(
        reverse("settlement-exception-resolve", args=[exception.public_id]),
        {"action": "acknowledge", "reason": " "}, follow=True).content.decode()
    assert "输入有误" in html
    assert ReconciliationException.objects.get().status == "open"
    assert PayoutBatch.objects.get(pk=batch.pk).status == "sent"


def test_a_file_that_is_not_a_bank_statement_is_refused_with_its_line(finance, db):
    response = _upload(signed_in(finance), b"date,reference,amount\n2026-12-05,X,1\n")
    assert response.status_code == 400
    assert "the header lacks account, status, note" in response.content.decode()
    assert not BankStatement.objects.exists()


def test_build_with_nothing_to_pay_is_a_message(programme, finance):
    response = signed_in(finance).post(reverse("settlement-batch-build"),
                                       {"programme": programme.code}, follow=True)
    assert "没有待拨付的核销申请" in response.content.decode()
    assert not PayoutBatch.objects.exists()


def test_cancel_a_draft_with_a_reason(programme, approved, finance):
    batch = services.batch_build(programme=programme, actor=finance)
    client = signed_in(finance)
    cancel = reverse("settlement-batch-action", args=[batch.public_id, "cancel"])
    assert "须由另一人办理" not in client.post(cancel, {"reason": ""}, follow=True).content.decode()
    assert PayoutBatch.objects.get().status == "draft"  # no reason, no cancel
    html = client.post(cancel, {"reason": "收款账户待核实"}, follow=True).content.decode()
    assert "批次已作废" in html and "收款账户待核实" in html
    assert PayoutBatch.objects.get().status == "cancelled"


def test_after_the_file_is_downloaded_the_page_offers_no_cancel(programme, approved, finance,
                                                               finance2):
    batch = services.batch_approve(
        batch=services.batch_build(programme=programme, actor=finance), actor=finance2)
    client = signed_in(finance)
    page = reverse("settlement-batch", args=[batch.public_id])
    cancel = reverse("settlement-batch-action", args=[batch.public_id, "cancel"])
    assert cancel in client.get(page).content.decode()
    assert client.get(reverse("settlement-batch-file", args=[batch.public_id])).status_code == 200
    html = client.get(page).content.decode()
    assert cancel not in html and "导出（此后批次不可作废）" in html
    english = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "(the batch can no longer be cancelled)" in english
    client.post(cancel, {"reason": "收款账户待核实"})  # a stale form: refused
    assert PayoutBatch.objects.get().status == "approved"


def test_batches_filter_by_status_and_programme(programme, approved, finance, finance2):
    batch = services.batch_build(programme=programme, actor=finance)
    client = signed_in(finance)
    link = reverse("settlement-batch", args=[batch.public_id])
    url = reverse("settlement-batches")
    assert link in client.get(url, {"status": "draft"}).content.decode()
    assert link not in client.get(url, {"status": "sent"}).content.decode()
    assert link in client.get(url, {"programme": programme.code}).content.decode()
    assert link not in client.get(url, {"programme": "WH-1999"}).content.decode()


def test_auditor_reads_without_buttons(programme, approved, finance, finance2, auditor):
    batch = _sent_batch(programme, finance, finance2)
    services.bank_statement_import(
        content=statement_csv([("NOBODY-2", "10.00", "ok")]), actor=finance)
    client = signed_in(auditor)
    for name in ("settlement-batches", "settlement-statements", "settlement-exceptions"):
        html = client.get(reverse(name)).content.decode()
        assert reverse(name) in html  # in the auditor's navigation
        assert 'method="post"' not in html.split("<main>")[1]  # no action form
    detail = client.get(reverse("settlement-batch", args=[batch.public_id])).content.decode()
    assert "10000.00" in detail
    assert reverse("settlement-batch-action", args=[batch.public_id, "cancel"]) not in detail
    assert client.get(reverse("settlement-batch-file", args=[batch.public_id])).status_code == 200
    statement = BankStatement.objects.get()
    assert client.get(reverse("settlement-statement",
                              args=[statement.public_id])).status_code == 200
    # and may not act
    assert client.post(reverse("settlement-batch-build"),
                       {"programme": programme.code}).status_code == 403
    assert _upload(client, b"x").status_code == 403


@pytest.mark.parametrize("name", ["settlement-batches", "settlement-statements",
                                  "settlement-exceptions"])
def test_members_and_visitors_get_no_access(name, enterprise_user, client):
    assert signed_in(enterprise_user).get(reverse(name)).status_code == 403
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_batch_is_404(finance, db):
    url = reverse("settlement-batch", args=["00000000-0000-0000-0000-000000000000"])
    assert signed_in(finance).get(url).status_code == 404


def test_pages_in_english(programme, approved, finance):
    batch = services.batch_build(programme=programme, actor=finance)
    client = signed_in(finance, accept_language="en")
    html = client.get(reverse("settlement-batches")).content.decode()
    assert "Payout batches" in html and "Build payout batch" in html
    assert "拨付批次" not in html
    html = client.get(reverse("settlement-batch", args=[batch.public_id])).content.decode()
    assert "Payment lines" in html and "Approve" in html
    html = client.post(reverse("settlement-batch-action", args=[batch.public_id, "approve"]),
                       follow=True).content.decode()
    assert "Another person must do this" in html
    assert "Bank statements" in client.get(reverse("settlement-statements")).content.decode()
    html = client.get(reverse("settlement-exceptions")).content.decode()
    assert "Reconciliation exceptions" in html


def test_reviewer_orders_a_clawback_from_the_claims_page(programme, approved, finance,
                                                        finance2, reviewer, provider):
    batch = _sent_batch(programme, finance, finance2)
    services.bank_statement_import(content=statement_csv(
        [(line.reference, f"{line.amount // 100}.00", "ok") for line in batch.lines.all()]),
        actor=finance)
    claim = Claim.objects.get(pk=approved[0].pk)
    assert claim.status == "paid"
    client = signed_in(reviewer)
    html = client.get(reverse("reviewer-claims"), {"status": "paid"}).content.decode()
    url = reverse("reviewer-claim-clawback", args=[claim.public_id])
    assert url in html

    html = client.post(url, {"reason": "", "next": "/reviewer/claims/?status=paid"},
                       follow=True).content.decode()
    assert "输入有误" in html
    assert Claim.objects.get(pk=claim.pk).status == "paid"

    response = client.post(url, {"reason": "发票虚开", "blacklist": "on",
                                 "next": "/reviewer/claims/?status=paid"}, follow=True)
    claim.refresh_from_db()
    assert claim.status == "clawback_ordered" and claim.clawback_reference
    assert f"已责令追回，服务机构还款时须注明参考号 {claim.clawback_reference}" in (
        response.content.decode())
    provider.organization.refresh_from_db()
    assert provider.organization.status == Organization.Status.BLACKLISTED
    # the provider reads which reference its repayment must quote
    own = signed_in(provider).get(reverse("provider-claims")).content.decode()
    assert f"退款时请注明追回参考号 {claim.clawback_reference}" in own
