"""`manage.py check_missing_bank_lines [--as-of YYYY-MM-DD]`: open a reconciliation
exception for each sent payment line whose bank line is overdue (also daily via Celery
beat). Running it again opens nothing new."""

from django.core.management.base import BaseCommand

from core.commands import as_of_date
from settlement.services import missing_bank_lines_check


class Command(BaseCommand):
    help = "Report sent payment lines with no bank line after their due date."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=as_of_date, default=None,
                            help="the day to check (default: today, Asia/Shanghai)")

    def handle(self, *args, as_of=None, **options):
        flagged = missing_bank_lines_check(actor="check_missing_bank_lines", as_of=as_of)
        self.stdout.write(f"{flagged} payment line(s) without a bank line reported")
