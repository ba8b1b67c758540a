"""The statements' words in Chinese (default) and English (`?lang=en`).

Statements are official documents whose wording is fixed here rather than in the page
translations (locale/): a PDF is issued in one language and its digest covers it.
"""

from django.conf import settings

from accounts.regions import KNOWN_REGIONS

LANGUAGES = ("zh-hans", "en")

_LABELS: dict[str, tuple[str, str]] = {
    "payout_batch": ("科技创新券拨付清单", "Payout batch statement (science innovation vouchers)"),
    "programme_monthly": ("科技创新券月度结算表", "Monthly settlement statement"),
    "budget_execution": ("科技创新券预算执行情况表", "Budget execution report"),
    "organization": ("科技创新券机构对账单", "Organisation statement"),
    "code_label": ("验证码", "Verification code"),
    "page_format": ("第 {page} 页 共 {pages} 页", "Page {page} of {pages}"),
    "generated": ("生成时间", "Generated"),
    "cutoff": ("数据截至", "Data as of"),
    "verify_hint": ("扫码或在系统中输入验证码核验本表真伪",
                    "Scan the code or enter it in the system to verify this statement"),
    "programme": ("项目", "Programme"),
    "batch": ("批次号", "Batch"),
    "status": ("状态", "Status"),
    "built_by": ("制单", "Built by"),
    "approved_by": ("复核", "Approved by"),
    "sent_by": ("发送", "Sent by"),
    "created_at": ("制单时间", "Built at"),
    "approved_at": ("复核时间", "Approved at"),
    "sent_at": ("发送时间", "Sent at"),
    "no": ("序号", "No."),
    "reference": ("付款参考号", "Reference"),
    "payee": ("收款单位 / 统一社会信用代码", "Payee / USCC"),
    "bank": ("开户银行 / 账号", "Bank / account"),
    "claims": ("核销明细（发票号 · 合同号 · 补贴金额）", "Claims (invoice · contract · subsidy)"),
    "amount": ("金额", "Amount"),
    "lines": ("笔数", "Lines"),
    "claim_count": ("核销单数", "Claims"),
    "total": ("合计", "Total"),
    "total_capital": ("合计金额（大写）", "Total in words (Chinese capitals)"),
    "signatures": ("签章", "Signatures"),
    "sign_st": ("科学技术局（盖章）", "Science & Technology Bureau (seal)"),
    "sign_finance": ("财政局（盖章）", "Finance Bureau (seal)"),
    "sign_handler": ("经办人", "Prepared by"),
    "sign_reviewer": ("审核人", "Reviewed by"),
    "sign_leader": ("负责人", "Approved by"),
    "sign_date": ("日期", "Date"),
    "month": ("结算月份", "Month"),
    "period": ("期间", "Period"),
    "bucket": ("项目", "Item"),
    "buckets": ("预算资金分布（期初、本期变动、期末）",
                "Where the budget is (opening, change, closing)"),
    "opening": ("期初", "Opening"),
    "change": ("本期变动", "Change"),
    "closing": ("期末", "Closing"),
    "flows": ("本期发生额", "Movements in the period"),
    "flow": ("业务", "Movement"),
    "funded": ("财政拨款", "Funded"),
    "available": ("可发放预算", "Available"),
    "issued_unspent": ("已发放未使用", "Issued, unspent"),
    "held": ("冻结中", "Held"),
    "approved_unpaid": ("已核准待拨付", "Approved, unpaid"),
    "in_payment": ("拨付在途", "In payment"),
    "paid": ("已拨付", "Paid"),
    "clawback_receivable": ("应追回款", "Clawback receivable"),
    "recovered": ("已追回", "Recovered"),
    "sent_for_payment": ("发送银行拨付", "Sent to the bank"),
    "clawback_ordered": ("责令追回", "Clawbacks ordered"),
    "lapsed_returned_to_treasury": ("退回财政", "Returned to treasury"),
    "issued": ("发放创新券", "Vouchers issued"),
    "holds_placed": ("核销冻结", "Holds placed"),
    "holds_released": ("冻结释放", "Holds released"),
    "approved": ("核准核销", "Claims approved"),
    "expired_returned": ("过期退回预算", "Expired, returned to the pool"),
    "identity": ("预算恒等式：财政拨款 = 各项之和", "Budget identity: funded = sum of the rest"),
    "holds": ("成立", "holds"),
    "summary": ("预算总体执行情况", "Budget overview"),
    "execution": ("执行数（已核准 + 在途 + 已拨付）", "Executed (approved + in payment + paid)"),
    "execution_rate": ("执行率", "Execution rate"),
    "by_district": ("按区县（企业所在地）", "By district (enterprise's region)"),
    "by_category": ("按服务类别", "By service category"),
    "district": ("区县", "District"),
    "category": ("服务类别", "Service category"),
    "vouchers": ("创新券张数", "Vouchers"),
    "voucher_issued": ("发放额", "Issued"),
    "voucher_spent": ("已核销", "Spent"),
    "organization_name": ("机构", "Organisation"),
    "uscc": ("统一社会信用代码", "USCC"),
    "account": ("账户", "Account"),
    "credits": ("本期贷方（增加）", "Credits (in)"),
    "debits": ("本期借方（减少）", "Debits (out)"),
    "claims_in_period": ("本期核准的核销", "Claims approved in the period"),
    "invoice": ("发票号", "Invoice"),
    "contract": ("合同号", "Contract"),
    "invoice_amount": ("发票金额", "Invoice amount"),
    "subsidy": ("补贴金额", "Subsidy"),
    "approved_on": ("核准日期", "Approved on"),
    "none": ("无", "None"),
    "reconciled": ("以上合计与总账核对一致（精确到分）", "Totals agree with the ledger to the fen"),
}


def authority(lang: str, region_code: str = "") -> str:
    """The issuing bureaus: those of the city of the programme's region (its first four
    digits), else of the city that runs the system (settings.STATEMENT_CITY_REGION)."""
    if lang == "en":
        return "Science & Technology Bureau · Finance Bureau"
    city = KNOWN_REGIONS.get(f"{region_code[:4]}00") if region_code else None
    city = city or KNOWN_REGIONS.get(settings.STATEMENT_CITY_REGION, "")
    return f"{city}科学技术局 · {city}财政局"


def labels(lang: str) -> dict[str, str]:
    index = 1 if lang == "en" else 0
    return {key: pair[index] for key, pair in _LABELS.items()}


def choice_label(label: str, lang: str) -> str:
    """Model choice labels read "中文 English": pick one side."""
    zh, _, en = str(label).partition(" ")
    return (en or zh) if lang == "en" else zh
