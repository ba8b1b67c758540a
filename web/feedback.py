"""Turning a service's refusal (core.errors.DomainError) into what the page shows."""

from django import forms
from django.contrib import messages
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

# Short, translated headlines for the stable codes; the service's detail follows.
TITLES = {
    "invalid": _("输入有误"),
    "permission_denied": _("无权操作"),
    "not_found": _("未找到"),
    "organization_not_active": _("机构未处于正常状态"),
    "blacklisted": _("机构已列入科研失信名单"),
    "qualification_invalid": _("不具备申领资格"),
    "application_window_closed": _("不在申领期内"),
    "enterprise_cap_exceeded": _("超过企业年度限额"),
    "budget_exhausted": _("预算不足"),
    "voucher_not_active": _("创新券不可用"),
    "insufficient_voucher_balance": _("创新券余额不足"),
    "ratio_exceeded": _("补贴超过规定比例"),
    "category_not_eligible": _("服务类别不符合"),
    "provider_region_not_recognised": _("服务机构所在地区不被认可"),
    "related_party": _("双方为关联方"),
    "duplicate_invoice": _("发票已被使用"),
    "contract_before_issue": _("合同日期早于发券日期"),
    "provider_cap_exceeded": _("超过服务机构年度限额"),
    "invalid_transition": _("当前状态不允许此操作"),
    "four_eyes_required": _("须由另一人办理"),
    "nothing_to_pay": _("没有待拨付的核销申请"),
}


def error_text(exc: DomainError) -> str:
    title = TITLES.get(exc.code, exc.title)
    return f"{title}: {exc.detail}"


def report(request, exc: DomainError, form: forms.Form | None = None) -> None:
    """Show the refusal as a page message; field errors go onto the form's fields."""
    messages.error(request, error_text(exc))
    if form is None or not exc.errors:
        return
    for field, field_messages in exc.errors.items():
        target = field if field in form.fields else None
        for message in field_messages:
            form.add_error(target, message)
