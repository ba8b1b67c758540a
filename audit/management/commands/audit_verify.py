from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit hash chain; exits non-zero and names the first bad event."

    def handle(self, *args, **options):
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain BROKEN at event #{report.first_bad} "
                f"(lane {report.lane}: {report.reason}); {report.checked} checked"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain ok: {report.checked} events"))
