from django.core.management.base import BaseCommand, CommandError

from ledger.selectors import ledger_verify


class Command(BaseCommand):
    help = (
        "Recompute every cached ledger balance from the entries, check every journal "
        "balances and the trial balance; exits non-zero and names each account that differs."
    )

    def handle(self, *args, **options):
        report = ledger_verify()
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.ok:
            raise CommandError(
                f"ledger BROKEN: {len(report.problems)} problem(s) in "
                f"{report.accounts_checked} accounts / {report.journals_checked} journals"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"ledger ok: {report.accounts_checked} accounts, {report.journals_checked} "
                "journals; cached balances match the entries; trial balance balances"
            )
        )
