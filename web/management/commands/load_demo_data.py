"""`make run` calls this: demo organisations, staff, a funded programme, vouchers and claims.

Idempotent: running it again adds nothing and prints the same logins.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.demo import load_demo_accounts
from settlement.demo import load_demo_settlement
from vouchers.demo import demo_programme_code, load_demo_vouchers


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000",
                            help="where the server will listen (printed with the logins)")

    def handle(self, *args, **options):
        base = options["base_url"].rstrip("/")
        logins = load_demo_accounts()
        summary = load_demo_vouchers(logins)
        summary += load_demo_settlement(demo_programme_code(timezone.localdate().year))
        self.stdout.write(self.style.SUCCESS("Demo data ready 演示数据已就绪"))
        for line in summary or []:
            self.stdout.write(f"  {line}")
        self.stdout.write("")
        self.stdout.write(
            f"Demo logins 演示账号 (web: {base}/ · API docs: {base}/api/v1/docs/ · "
            f"admin: {base}/admin/)"
        )
        width = max(len(name) for name in logins)
        for username, (password, role, organization) in logins.items():
            where = f"  {organization}" if organization else ""
            self.stdout.write(f"  {username.ljust(width)}  {password:<24} {role:<10}{where}")
