"""Demo users and organisations, created through the real services (audit trail included).

`load_demo_accounts()` is idempotent: what exists already (by username or USCC) is kept.
The caller prints the returned credentials.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric
from stdnum.cn import uscc as uscc_check

from accounts.models import Organization, Role, ServiceCategory, User
from accounts.services import organization_approve, organization_register, user_create_staff

STAFF = [
    ("reviewer", Role.REVIEWER),
    ("finance", Role.FINANCE),
    ("finance2", Role.FINANCE),  # second finance user: batches need four eyes
    ("auditor", Role.AUDITOR),
    ("admin", Role.ADMIN),
]


def demo_password(username: str) -> str:
    return f"Demo-2026-{username}"


def demo_uscc(n: int, region: str) -> str:
    body = f"91{region}MA{n:07d}"
    return body + uscc_check.calc_check_digit(body)


def demo_resident_id(n: int, region: str = "430102") -> str:
    body = f"{region}1985{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a check slot


def _organizations(today: date) -> list[dict]:
    """One dict per demo organisation: its username, whether it ends up active, and the
    arguments of organization_register."""
    year = today.year
    shared_controller = demo_uscc(9001, "430100")  # 湘江控股: controls two enterprises
    enterprise = {"kind": Organization.Kind.ENTERPRISE}
    provider = {"kind": Organization.Kind.PROVIDER}
    return [
        {
            **enterprise,
            "username": "enterprise1",
            "name": "长沙麓谷高新科技有限公司",
            "uscc": demo_uscc(1, "430100"),
            "region_code": "430100",
            "legal_representative_id": demo_resident_id(1),
            "high_tech_certificate": f"GR{year - 1}43000101",
            "high_tech_valid_until": date(year + 2, 12, 31),
            "shareholdings": [{"holder": demo_resident_id(1), "percent": "60.00"}],
        },
        {
            **enterprise,
            "username": "enterprise2",
            "name": "长沙湘江智能装备有限公司",
            "uscc": demo_uscc(2, "430100"),
            "region_code": "430100",
            "legal_representative_id": demo_resident_id(2),
            "actual_controller": shared_controller,
            "sme_tech_number": f"{year}430100A00002",
            "sme_tech_year": year,
            "shareholdings": [{"holder": shared_controller, "percent": "51.00"}],
        },
        {
            **enterprise,
            "username": "enterprise3",
            "name": "长沙湘江新材料有限公司",
            "uscc": demo_uscc(3, "430100"),
            "region_code": "430100",
            "legal_representative_id": demo_resident_id(3),
            "actual_controller": shared_controller,
            "sme_tech_number": f"{year}430100A00003",
            "sme_tech_year": year,
            "shareholdings": [{"holder": shared_controller, "percent": "70.00"}],
        },
        {
            **enterprise,
            "username": "enterprise4",
            "name": "武汉光谷芯片设计有限公司",
            "uscc": demo_uscc(4, "420100"),
            "region_code": "420100",
            "legal_representative_id": demo_resident_id(4, "420102"),
            "sme_tech_number": f"{year}420100A00004",
            "sme_tech_year": year,
        },
        {
            **provider,
            "username": "provider1",
            "name": "湖南省检验检测研究院",
            "uscc": demo_uscc(11, "430100"),
            "region_code": "430100",
            "legal_representative_id": demo_resident_id(11),
            "bank_account": {
                "name": "湖南省检验检测研究院",
                "bank": "中国工商银行长沙麓山支行",
                "number": "1901001009200012345",
            },
            "categories": [ServiceCategory.TESTING, ServiceCategory.INSTRUMENT_SHARING],
        },
        {
            **provider,
            "username": "provider2",
            "name": "中南大学技术转移中心",
            "uscc": demo_uscc(12, "430100"),
            "region_code": "430100",
            "legal_representative_id": demo_resident_id(12),
            "bank_account": {
                "name": "中南大学",
                "bank": "中国建设银行长沙岳麓支行",
                "number": "43050178403600000123",
            },
            "categories": [
                ServiceCategory.RD_DESIGN,
                ServiceCategory.TECH_TRANSFER,
                ServiceCategory.IP_SERVICES,
                ServiceCategory.CONSULTING,
            ],
        },
        {
            **provider,
            "username": "provider3",
            "name": "武汉光谷仪器共享平台有限公司",
            "uscc": demo_uscc(13, "420100"),
            "region_code": "420100",
            "legal_representative_id": demo_resident_id(13, "420102"),
            "bank_account": {
                "name": "武汉光谷仪器共享平台有限公司",
                "bank": "招商银行武汉光谷支行",
                "number": "127905123410601",
            },
            "categories": [
                ServiceCategory.TESTING,
                ServiceCategory.INSTRUMENT_SHARING,
                ServiceCategory.RD_DESIGN,
            ],
        },
        {
            **enterprise,
            "username": "enterprise5",
            "name": "长沙星沙新创科技有限公司",
            "uscc": demo_uscc(5, "430100"),
            "region_code": "430121",
            "legal_representative_id": demo_resident_id(5),
            "sme_tech_number": f"{year}430121A00005",
            "sme_tech_year": year,
            "pending": True,
        },
    ]


@transaction.atomic
def load_demo_accounts() -> dict[str, tuple[str, str, str]]:
    """Create the demo staff, organisations and their users; {username: (password, role,
    organisation name or "")}. Re-running creates nothing twice."""
    credentials: dict[str, tuple[str, str, str]] = {}
    for username, role in STAFF:
        if not User.objects.filter(username=username).exists():
            user_create_staff(
                username=username, role=role, password=demo_password(username), actor="demo"
            )
        credentials[username] = (demo_password(username), str(role), "")
    reviewer = User.objects.get(username="reviewer")

    for spec in _organizations(timezone.localdate()):
        spec = dict(spec)
        pending = spec.pop("pending", False)
        username = spec["username"]
        organization = Organization.objects.filter(uscc=spec["uscc"]).first()
        if organization is None:
            organization = organization_register(password=demo_password(username), **spec)
            if not pending:
                organization_approve(
                    organization=organization, actor=reviewer, reason="演示数据 demo data"
                )
        credentials[username] = (demo_password(username), str(spec["kind"]), organization.name)
    return credentials
