"""Benchmark of the PDF statements (make bench-statements): a 2,000-line payout batch.

Set-up (not timed): a fresh database (SQLite file by default, STATEMENTS_BENCH_DATABASE_URL
for another), one programme, one enterprise with a 50,000.00 voucher, 2,000 providers with
names of varied length, 2,400 claims submitted, confirmed and approved through the product's
services (so the ledger holds every posting the statement reconciles with), and the batch
finance builds (settlement's `batch_build`): one payment line per provider, every fifth with
two claims.

Timed, in a fresh process (so its peak memory is the statement's, not the set-up's, and
its render workers start cold, as they do for every statement):
what the Celery task does for a large statement: read the data from the ledger and
reconcile it, record the issued statement, render the PDF (chunks in parallel workers,
one font subset, every page stamped), digest it. The figures printed: seconds, CPU, and
the peak of the summed PSS of this process and its workers, sampled from /proc.
`--straightforward` also times one WeasyPrint pass over one HTML document with the full
font, the way a first implementation would render it (12-16 s here).

Targets (issue #13): under 6 s and under 400 MB on this 2-core machine.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

LINES = 2000
TARGET_SECONDS = 6.0
TARGET_MB = 400.0
BANKS = ["中国工商银行长沙分行", "长沙银行麓谷支行", "中国建设银行湖南省分行营业部"]
DEFAULT_DB = "sqlite:////tmp/kjcxq_statements_bench.sqlite3"


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def set_up(database_url: str, lines: int) -> str:
    """Build the data; returns the batch's public id."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    _django(database_url)
    from django.core.management import call_command

    from bench.common import create_database_if_missing

    create_database_if_missing()
    call_command("flush", "--no-input", verbosity=0) if "postgres" in database_url else None
    call_command("migrate", "--no-input", verbosity=0)

    from datetime import timedelta

    from django.utils import timezone
    from stdnum.cn import uscc as uscc_check

    from accounts.models import Organization, Role, User
    from settlement import services as settlement_services
    from vouchers import services

    today = timezone.localdate()
    staff = {role: User.objects.create(username=f"bench-{role}", role=role)
             for role in (Role.REVIEWER, Role.FINANCE)}
    programme = services.programme_create(
        actor=staff[Role.REVIEWER], code=f"BENCH-{today.year}", name="长沙市科技创新券（基准测试）",
        region_code="430100", year=today.year,
        application_opens=today - timedelta(days=30),
        application_closes=today + timedelta(days=30),
        valid_until=today + timedelta(days=90), claim_deadline=today + timedelta(days=120),
        enterprise_annual_cap=5_000_000, provider_annual_cap=10_000_000,
        ratios={"high_tech": 4000, "sme_tech": 5000, "default": 3000},
        categories=["testing", "rd_design"], partner_regions=[])
    services.programme_fund(programme=programme, amount=10_000_000_000,
                            actor=staff[Role.FINANCE])

    def uscc(n: int) -> str:
        body = f"91430100{n:09d}"
        return body + uscc_check.calc_check_digit(body)

    enterprise = Organization.objects.create(
        kind="enterprise", name="长沙麓谷基准测试科技有限公司", uscc=uscc(1),
        region_code="430102", legal_representative_ref="person:bench-0", status="active",
        sme_tech_number="2026430100A00001", sme_tech_year=today.year)
    enterprise_user = User.objects.create(username="bench-enterprise", role="enterprise",
                                          organization=enterprise)
    application = services.application_submit(
        enterprise=enterprise, programme=programme, amount=5_000_000, purpose="基准测试",
        actor=enterprise_user)
    voucher = services.application_approve(application=application,
                                           actor=staff[Role.REVIEWER]).voucher
    suffixes = ["检验检测中心", "技术转移有限公司", "新材料研究院检测服务部",
                "智能制造工程技术研究中心有限责任公司", "大学"]
    providers = Organization.objects.bulk_create(
        Organization(
            kind="provider", name=f"湖南第{n}号{suffixes[n % 5]}", uscc=uscc(1000 + n),
            region_code="430100", legal_representative_ref=f"person:bench-{n}",
            status="active", bank_account_name=f"湖南第{n}号{suffixes[n % 5]}",
            bank_name=BANKS[n % 3],
            bank_account_number=f"62220200{n:011d}", categories=["testing", "rd_design"])
        for n in range(1, lines + 1))
    provider_users = User.objects.bulk_create(
        User(username=f"bench-provider-{p.pk}", role="provider", organization=p)
        for p in providers)
    number = 0
    for index, (provider, user) in enumerate(zip(providers, provider_users, strict=True)):
        for _ in range(2 if index % 5 == 0 else 1):
            number += 1
            amount = 1_000 + (number * 37) % 1_000  # 10.00 .. 19.99
            claim = services.claim_submit(
                provider=provider, voucher_code=voucher.code, category="testing",
                contract_number=f"HT-2026-{number:06d}", contract_date=today,
                invoice_number=f"4300{number:08d}", invoice_amount=amount * 2, amount=amount,
                actor=user)
            claim = services.claim_confirm(claim=claim, actor=enterprise_user)
            claim = services.claim_approve(claim=claim, actor=staff[Role.REVIEWER])
    batch = settlement_services.batch_build(programme=programme, actor=staff[Role.FINANCE])
    assert batch.lines.count() == lines
    return str(batch.public_id)


def measure(database_url: str, batch_id: str, straightforward: bool) -> None:
    """In its own process: one statement, start to finish, as the worker renders it."""
    _django(database_url)
    from accounts.models import User
    from reports import selectors
    from reports.models import IssuedStatement
    from reports.rendering import render_workers
    from reports.services import statement_issue, statement_render
    from settlement.models import PayoutBatch

    finance = User.objects.get(username="bench-finance")
    batch = PayoutBatch.objects.get(public_id=batch_id)
    if straightforward:
        _straightforward(batch)
        return
    sampler = _ProcessTree()
    sampler.start()
    load = os.getloadavg()[0]
    cpu_before = _cpu()
    started = time.perf_counter()
    data = selectors.payout_batch_statement(batch, lang="zh-hans")
    selected = time.perf_counter()
    issued = statement_issue(kind=IssuedStatement.Kind.PAYOUT_BATCH,
                             parameters={"batch": batch_id}, data=data, lang="zh-hans",
                             actor=finance)
    # above the threshold the API answers 202 and the Celery task does this:
    statement = (issued.statement if issued.rendered_now
                 else statement_render(statement=issued.statement))
    seconds = time.perf_counter() - started
    cpu_self, cpu_workers = (a - b for a, b in zip(_cpu(), cpu_before, strict=True))
    sampler.stop()
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = min(render_workers(), -(-statement.rows // 250))
    _check_document(bytes(statement.pdf), statement.pages, data)
    print(f"lines {statement.rows}, claims {data['totals']['claims']}, pages "
          f"{statement.pages}, PDF {len(statement.pdf) / 1024:.0f} KB, workers {workers}; "
          f"load average before: {load:.2f} on {os.cpu_count()} CPUs")
    print(f"  data from the ledger (reconciled): {selected - started:6.2f} s")
    print(f"  statement, start to finish:       {seconds:6.2f} s   "
          f"(target {TARGET_SECONDS:.0f} s: {seconds / TARGET_SECONDS:.2f} of it)")
    print(f"  CPU: this process {cpu_self:.2f} s, workers {cpu_workers:.2f} s")
    print(f"  peak memory of the process tree (PSS, sampled every "
          f"{sampler.every * 1000:.0f} ms): {sampler.peak_mb:.0f} MB   (target "
          f"{TARGET_MB:.0f} MB: {sampler.peak_mb / TARGET_MB:.2f} of it); peak RSS of this "
          f"process {parent_mb:.0f} MB, of a worker {sampler.largest_rss_mb:.0f} MB")


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


class _ProcessTree:
    """Samples this process and its render workers: the peak of their summed PSS (pages
    shared between processes divided among them, where RSS would count them in each)
    and the largest worker's RSS. A sample reads /proc/<pid>/smaps_rollup of each
    process, which costs CPU of its own and slows the workers: every 100 ms (every 50 ms
    took ~0.6 s more CPU in this process than every 200 ms, over one statement)."""

    def __init__(self, every: float = 0.1):
        import threading

        self.every = every
        self.peak_mb = 0.0
        self.largest_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _memory_kb(pid: int) -> tuple[int, int]:
        pss = rss = 0
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss = int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss = int(line.split()[1])
        except OSError:
            pass
        return pss, rss

    @staticmethod
    def _children(pid: int) -> list[int]:
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            total = self._memory_kb(me)[0]
            for pid in self._children(me):
                pss, rss = self._memory_kb(pid)
                total += pss
                self.largest_rss_mb = max(self.largest_rss_mb, rss / 1024)
            self.peak_mb = max(self.peak_mb, total / 1024)
            self._stop.wait(self.every)


def _check_document(pdf: bytes, pages: int, data: dict) -> None:
    """One document, numbered across the whole of it, the total in capitals at the end."""
    import io

    from pypdf import PdfReader

    from core.money import fen_to_chinese_capital

    texts = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(texts) == pages
    for number, text in enumerate(texts, 1):
        assert f"第 {number} 页 共 {pages} 页" in text, number
        assert "验证码" in text
    # the totals close the document (the signature blocks may move to a page of their own)
    assert fen_to_chinese_capital(data["totals"]["total"]) in "".join(texts[-2:])
    everything = "".join(texts)
    missing = [r["reference"] for r in data["rows"] if r["reference"] not in everything]
    assert not missing, f"{len(missing)} lines missing, e.g. {missing[:3]}"


def _straightforward(batch) -> None:
    """One HTML document, one WeasyPrint pass, the full font: the baseline."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from reports import fonts, selectors
    from reports.labels import labels

    started = time.perf_counter()
    data = selectors.payout_batch_statement(batch, lang="zh-hans")
    html = render_to_string("reports/payout_batch.html", {
        "data": data, "L": labels("zh-hans"), "lang": "zh-hans", "rows": data["rows"],
        "row_offset": 0, "first": True, "last": True, "page_size": "A4 landscape",
        "font_css": fonts.font_face_css(fonts.font_path().as_uri())
        + "@page { @bottom-right { content: '第 ' counter(page) ' 页 共 ' counter(pages)"
          " ' 页' } }"})
    pdf = HTML(string=html).write_pdf()
    seconds = time.perf_counter() - started
    mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  straightforward (one pass, full font): {seconds:6.2f} s, peak {mb:.0f} MB, "
          f"PDF {len(pdf) / 1024:.0f} KB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get(
        "STATEMENTS_BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--straightforward", action="store_true")
    parser.add_argument("--measure", metavar="BATCH_ID")
    args = parser.parse_args()
    if args.measure:
        measure(args.database_url, args.measure, args.straightforward)
        return
    started = time.perf_counter()
    batch_id = set_up(args.database_url, args.lines)
    print(f"set-up: {args.lines} payment lines in {time.perf_counter() - started:.0f} s "
          f"({os.cpu_count()} CPUs)")
    command = [sys.executable, __file__, "--database-url", args.database_url, "--measure",
               batch_id]
    for run in range(1, args.runs + 1):
        print(f"run {run}:")
        subprocess.run(command, check=True)
    if args.straightforward:
        subprocess.run([*command, "--straightforward"], check=True)


if __name__ == "__main__":
    main()
