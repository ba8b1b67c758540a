"""Demo programme, vouchers and claims for `make run`, made through the real services
(ledger postings and audit events included).

`load_demo_vouchers(accounts)` runs after `accounts.demo.load_demo_accounts()` (whose
result it takes) and is idempotent: once this year's demo programme exists it changes
nothing. It shows a funded Changsha programme (partner region Wuhan) with its window open
today, approved and pending applications, and claims in several states.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.money import format_fen, parse_yuan
from vouchers import services
from vouchers.models import Claim, Programme
from vouchers.selectors import programme_budget

RATIOS = {"high_tech": 4000, "sme_tech": 5000, "default": 3000}

# (enterprise, asked, approved (None: ask in full; "reject"; "pending"))
APPLICATIONS = [
    ("enterprise1", "100000.00", None),
    ("enterprise2", "50000.00", "40000.00"),
    ("enterprise3", "30000.00", "pending"),
    ("enterprise3", "20000.00", "reject"),
]
# (voucher of, provider, category, invoice, subsidy, final state)
CLAIMS = [
    ("enterprise1", "provider1", "testing", "20000.00", "8000.00", "approved"),
    ("enterprise1", "provider3", "instrument_sharing", "10000.00", "4000.00", "confirmed"),
    ("enterprise1", "provider2", "rd_design", "30000.00", "12000.00", "pending_confirmation"),
    ("enterprise2", "provider1", "testing", "6000.00", "3000.00", "rejected"),
    ("enterprise2", "provider2", "consulting", "8000.00", "4000.00", "withdrawn"),
    ("enterprise2", "provider1", "instrument_sharing", "5000.00", "2500.00",
     "refused_by_enterprise"),
]


def demo_programme_code(year: int) -> str:
    return f"CS-{year}"


@transaction.atomic
def load_demo_vouchers(accounts: dict | None = None) -> list[str]:
    """Create the demo programme and its vouchers and claims; summary lines to print."""
    today = timezone.localdate()
    code = demo_programme_code(today.year)
    existing = Programme.objects.filter(code=code).first()
    if existing is not None:
        return _summary(existing, created=False)
    users = {u.username: u for u in User.objects.select_related("organization").filter(
        username__in=["reviewer", "finance", *{a[0] for a in APPLICATIONS},
                      *{c[1] for c in CLAIMS}])}
    reviewer, finance = users["reviewer"], users["finance"]
    programme = services.programme_create(
        code=code, name=f"长沙市{today.year}年度科技创新券", region_code="430100",
        year=today.year, application_opens=today - timedelta(days=30),
        application_closes=today + timedelta(days=30), valid_until=today + timedelta(days=180),
        claim_deadline=today + timedelta(days=210),
        enterprise_annual_cap=parse_yuan("200000.00"),
        provider_annual_cap=parse_yuan("1000000.00"), ratios=RATIOS,
        categories=["rd_design", "testing", "instrument_sharing", "tech_transfer",
                    "ip_services", "consulting"],
        partner_regions=["420100"], actor=reviewer,
    )
    services.programme_fund(programme=programme, amount=parse_yuan("5000000.00"),
                            actor=finance, memo="财政拨款 演示 demo appropriation")
    vouchers = {}
    for username, asked, decision in APPLICATIONS:
        user = users[username]
        application = services.application_submit(
            enterprise=user.organization, programme=programme, amount=parse_yuan(asked),
            purpose="委托检测与研发设计服务", actor=user)
        if decision == "pending":
            continue
        if decision == "reject":
            services.application_reject(application=application, actor=reviewer,
                                        reason="申报材料不全 incomplete file")
            continue
        approved = services.application_approve(
            application=application, actor=reviewer,
            amount=parse_yuan(decision) if decision else None)
        vouchers[username] = approved.voucher
    for n, (holder, lab, category, invoice, subsidy, state) in enumerate(CLAIMS, start=1):
        _claim(programme, vouchers[holder], users[holder], users[lab], reviewer, n,
               category=category, invoice=invoice, subsidy=subsidy, state=state, today=today)
    return _summary(programme, created=True)


def _claim(programme, voucher, holder, lab, reviewer, n, *, category, invoice, subsidy, state,
           today):
    claim = services.claim_submit(
        provider=lab.organization, voucher_code=voucher.code, category=category,
        contract_number=f"HT-{programme.code}-{n:03d}", contract_date=today,
        invoice_number=f"DEMO-{programme.code}-{n:04d}", invoice_amount=parse_yuan(invoice),
        amount=parse_yuan(subsidy), actor=lab)
    if state == "pending_confirmation":
        return
    if state == "withdrawn":
        services.claim_withdraw(claim=claim, actor=lab, reason="合同变更 contract changed")
        return
    claim = services.claim_confirm(claim=claim, actor=holder)
    if state == "approved":
        services.claim_approve(claim=claim, actor=reviewer)
    elif state == "rejected":
        services.claim_reject(claim=claim, actor=reviewer, reason="发票与合同不符 mismatch")
    elif state == "refused_by_enterprise":
        services.claim_refuse(claim=claim, actor=holder, reason="服务未完成 not delivered")


def _summary(programme: Programme, *, created: bool) -> list[str]:
    """Lines for the demo command to print."""
    budget = programme_budget(programme)
    claims: dict[str, int] = {}
    for status in Claim.objects.filter(programme=programme).values_list("status", flat=True):
        claims[status] = claims.get(status, 0) + 1
    vouchers = [f"{v.code} ({v.enterprise.name}, {format_fen(v.face_value)})"
                for v in programme.vouchers.select_related("enterprise").order_by("id")]
    return [
        f"programme 创新券项目 {programme.code}"
        + ("" if created else " (already loaded 已存在)")
        + f": funded {format_fen(budget.funded)}, available {format_fen(budget.available)}",
        f"vouchers 创新券: {'; '.join(vouchers)}",
        "claims 兑付申请: " + ", ".join(f"{k} {n}" for k, n in sorted(claims.items())),
    ]
