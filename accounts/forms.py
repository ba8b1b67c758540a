"""The web sign-in form: Django's, plus a clear message when the account is locked."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.selectors import user_lock_remaining


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "account_locked": _("登录失败次数过多，账户已暂时锁定，请 %(minutes)s 分钟后再试。"),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            remaining = user_lock_remaining(username=self.cleaned_data.get("username") or "")
            if remaining:
                minutes = max(1, -(-int(remaining.total_seconds()) // 60))
                raise forms.ValidationError(
                    self.error_messages["account_locked"],
                    code="account_locked",
                    params={"minutes": minutes},
                ) from None
            raise
