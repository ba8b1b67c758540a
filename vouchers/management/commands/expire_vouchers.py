"""Expiry run: `manage.py expire_vouchers [--as-of YYYY-MM-DD] [--programme CODE]`.

Expires every active voucher whose `valid_until` is before the date (default: today in
Asia/Shanghai) and returns its unspent, unheld remainder to the programme pool. Running it
again moves nothing.
"""

from django.core.management.base import BaseCommand, CommandError

from core.commands import as_of_date
from core.errors import DomainError
from core.money import format_fen
from vouchers.selectors import programme_get
from vouchers.services import vouchers_expire


class Command(BaseCommand):
    help = "Expire vouchers past their validity and return their remainder to the budget."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=as_of_date, default=None,
                            help="the expiry date (default: today, Asia/Shanghai)")
        parser.add_argument("--programme", default=None, help="only this programme's vouchers")

    def handle(self, *args, as_of=None, programme=None, **options):
        selected = None
        if programme:
            try:
                selected = programme_get(programme)
            except DomainError as exc:
                raise CommandError(f"no programme {programme!r}") from exc
        run = vouchers_expire(as_of=as_of, programme=selected, actor="expire_vouchers")
        self.stdout.write(
            f"as of {run.as_of.isoformat()}: {run.expired} voucher(s) expired, "
            f"{format_fen(run.returned)} returned to the budget, "
            f"{format_fen(run.still_held)} still held by pending claims"
        )
