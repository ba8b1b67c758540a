import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _run(*args, password="Staff-2026-strong"):
    out = io.StringIO()
    call_command(
        "create_staff_user", *args, "--password-stdin", stdin=io.StringIO(password + "\n"),
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.parametrize("role", ["reviewer", "finance", "auditor"])
def test_bureau_users_have_no_admin_access(role):
    _run("officer", "--role", role)
    user = User.objects.get(username="officer")
    assert user.role == role
    assert user.organization is None
    assert not user.is_staff
    assert not user.is_superuser
    assert user.check_password("Staff-2026-strong")
    assert AuditEvent.objects.get().action == "user.created"


def test_admin_gets_the_django_admin():
    output = _run("root", "--role", "admin")
    user = User.objects.get(username="root")
    assert user.is_staff
    assert user.is_superuser
    assert "admin" in output


def test_bad_role_is_a_clear_error():
    with pytest.raises(CommandError, match="role"):
        _run("someone", "--role", "enterprise")
    assert not User.objects.exists()


def test_existing_username_is_a_clear_error():
    _run("officer", "--role", "reviewer")
    with pytest.raises(CommandError, match="taken"):
        _run("officer", "--role", "finance")
    assert User.objects.get().role == "reviewer"


def test_weak_password_is_refused():
    with pytest.raises(CommandError, match="password"):
        _run("officer", "--role", "reviewer", password="123")


def test_password_must_come_from_stdin():
    with pytest.raises(CommandError):
        call_command("create_staff_user", "officer", "--role", "reviewer")
