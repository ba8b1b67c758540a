"""Each role's pages, in the order its start page and the header list them.

Pages in ACTION_PAGES only act (apply, submit): a member of an organisation that is not
active does not see them (web.decorators refuses them anyway).
"""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role

ROLE_LINKS: dict[str, list[tuple[str, str]]] = {
    Role.ENTERPRISE: [
        ("enterprise-vouchers", _("我的创新券")),
        ("enterprise-apply", _("申领创新券")),
        ("enterprise-applications", _("我的申领")),
        ("enterprise-claims", _("待确认的核销申请")),
        ("my-statement", _("我的对账单")),
    ],
    Role.PROVIDER: [
        ("provider-claims", _("我的核销申请")),
        ("provider-claim-new", _("提交核销申请")),
        ("my-statement", _("我的对账单")),
    ],
    Role.REVIEWER: [
        ("reviewer-organizations", _("机构审核")),
        ("reviewer-applications", _("申领审批")),
        ("reviewer-claims", _("核销审批")),
        ("programmes", _("项目与预算")),
    ],
    Role.FINANCE: [
        ("programmes", _("项目与预算")),
        ("settlement-batches", _("拨付批次")),
        ("settlement-statements", _("银行对账单")),
        ("settlement-exceptions", _("对账差异")),
        ("trial-balance", _("总账试算平衡")),
        ("statements", _("对账单与报表")),
    ],
    Role.AUDITOR: [
        ("audit", _("审计链与审计记录")),
        ("trial-balance", _("总账试算平衡")),
        ("programmes", _("项目与预算")),
        ("settlement-batches", _("拨付批次")),
        ("settlement-statements", _("银行对账单")),
        ("settlement-exceptions", _("对账差异")),
        ("statements", _("对账单与报表")),
        ("statement-verify-page", _("核验对账单")),
    ],
    Role.ADMIN: [
        ("admin:index", _("系统管理")),
    ],
}

ACTION_PAGES = frozenset({"enterprise-apply", "provider-claim-new"})
