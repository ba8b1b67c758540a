"""python manage.py create_staff_user USERNAME --role ROLE --password-stdin"""

import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.models import STAFF_ROLES
from accounts.services import user_create_staff
from core.errors import DomainError


class Command(BaseCommand):
    stealth_options = ("stdin",)  # tests pass a stream instead of the real stdin
    help = "Create a bureau or system user (reviewer, finance, auditor, admin)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=", ".join(sorted(STAFF_ROLES)))
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, password_stdin, email, **options):
        if not password_stdin:
            raise CommandError("Give --password-stdin and pipe the password in.")
        stdin = options.get("stdin") or sys.stdin
        password = stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("No password on standard input.")
        try:
            user = user_create_staff(
                username=username, role=role, password=password, email=email, actor="cli"
            )
        except DomainError as exc:
            messages = [f"{field}: {m}" for field, ms in (exc.errors or {}).items() for m in ms]
            raise CommandError("; ".join(messages) or exc.detail) from exc
        admin_note = " (Django admin access)" if user.is_staff else ""
        message = f"Created {user.role} user {user.username}{admin_note}."
        self.stdout.write(self.style.SUCCESS(message))
