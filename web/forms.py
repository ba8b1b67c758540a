"""Page forms. They only parse what was typed; every rule is the services' to check.

Amounts are typed in yuan ("15000.00") and parsed by core.money.parse_yuan into fen.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import ServiceCategory
from core.money import MoneyFormatError, parse_yuan
from settlement.files import MAX_STATEMENT_BYTES
from vouchers.models import Programme


class YuanField(forms.CharField):
    """An amount in yuan with at most two decimals; cleans to integer fen."""

    default_error_messages = {
        "money": _("请输入以元为单位的金额，最多两位小数，例如 15000.00。"),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # parse_yuan bounds the length; the widget only helps the browser
        self.widget.attrs.update({"inputmode": "decimal", "placeholder": "0.00",
                                  "maxlength": "20"})

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_yuan(text)
        except MoneyFormatError:
            raise forms.ValidationError(self.error_messages["money"], code="money") from None


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=500, required=False)


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=500)


class ApplicationForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("项目"), queryset=Programme.objects.none(), to_field_name="code",
        empty_label=None,
    )
    amount = YuanField(label=_("申领金额（元）"))
    purpose = forms.CharField(label=_("用途"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes


class ApplicationApproveForm(forms.Form):
    amount = YuanField(label=_("核准金额（元，可低于申请额）"), required=False)


class ClaimForm(forms.Form):
    voucher_code = forms.CharField(label=_("创新券编号"), max_length=40)
    category = forms.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    contract_number = forms.CharField(label=_("合同编号"), max_length=100)
    contract_date = forms.DateField(label=_("合同日期"),
                                    widget=forms.DateInput(attrs={"type": "date"}))
    invoice_number = forms.CharField(label=_("发票号码"), max_length=64)
    invoice_amount = YuanField(label=_("发票金额（元）"))
    amount = YuanField(label=_("申请补贴金额（元）"))


class FundForm(forms.Form):
    amount = YuanField(label=_("拨入金额（元）"))
    memo = forms.CharField(label=_("备注（如预算文号）"), max_length=500, required=False)


class BatchBuildForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("项目"), queryset=Programme.objects.order_by("-year", "code"),
        to_field_name="code", empty_label=None,
    )


class BankStatementForm(forms.Form):
    file = forms.FileField(label=_("银行对账单文件（CSV）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # not read into memory at all when it cannot be a bank file (as the API)
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(_("文件过大，不是银行对账单。"), code="too_large")
        return upload


class ExceptionResolveForm(forms.Form):
    action = forms.ChoiceField(label=_("处理方式"), choices=[
        ("acknowledge", _("确认无需调整")),
        ("settle", _("人工确认到账")),
        ("fail", _("人工确认失败")),
    ])
    reason = forms.CharField(label=_("理由"), max_length=500, required=False)


class ClawbackForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=500, required=False)
    blacklist = forms.BooleanField(label=_("同时列入科研失信名单"), required=False)
