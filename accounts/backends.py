"""Sign-in with a lock-out after repeated failures (SPEC §6).

After settings.LOGIN_FAILURE_LIMIT consecutive failures the account is locked for
settings.LOGIN_LOCK_SECONDS, even against the right password; a success resets the count.
Counters move with single UPDATE statements (F expressions), so concurrent attempts
cannot lose an increment, and nothing here runs inside the caller's transaction logic.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record


class AccountLocked(PermissionDenied):
    """Raised by the backend; django.contrib.auth.authenticate() turns it into None and
    stops trying other backends. Callers ask accounts.selectors.user_lock_remaining()."""


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            # Same cost as a real check, so timing does not tell which usernames exist.
            user_model().set_password(password)
            return None
        now = timezone.now()
        if user.locked_until is not None and user.locked_until > now:
            raise AccountLocked
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins or user.locked_until is not None:
                user_model._default_manager.filter(pk=user.pk).update(
                    failed_logins=0, locked_until=None
                )
                user.failed_logins, user.locked_until = 0, None
            return user
        self._register_failure(user_model, user, now)
        return None

    @staticmethod
    def _register_failure(user_model, user, now) -> None:
        manager = user_model._default_manager
        manager.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        # Only the attempt that reaches the limit locks; the count restarts for the
        # next period so a user gets LOGIN_FAILURE_LIMIT fresh tries after the lock.
        locked_until = now + timedelta(seconds=settings.LOGIN_LOCK_SECONDS)
        locked = manager.filter(
            pk=user.pk, failed_logins__gte=settings.LOGIN_FAILURE_LIMIT
        ).update(failed_logins=0, locked_until=locked_until)
        if locked:
            audit_record(
                actor=None,
                action="user.locked",
                object_type="user",
                object_id=user.get_username(),
                before=None,
                after={
                    "locked_until": locked_until.isoformat(),
                    "after_failures": settings.LOGIN_FAILURE_LIMIT,
                },
            )
