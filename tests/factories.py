"""factory_boy factories shared by every test package."""

import factory
from stdnum.cn import uscc as uscc_check

from accounts.identity import person_ref
from accounts.models import Organization, Role, Shareholding, User

# Valid resident ID numbers (GB 11643 check digit) for tests.
RESIDENT_IDS = [
    "11010519491231002X",
    "110101199003074477",
    "43010219850101123X",
    "430104199205205678",
]


def make_uscc(n: int, region: str = "430100") -> str:
    """A valid USCC whose body encodes n (check character computed by python-stdnum)."""
    body = f"91{region}{n:09d}"[:17]
    body = body.replace("I", "1").replace("O", "0")
    return body + uscc_check.calc_check_digit(body)


def make_resident_id(n: int) -> str:
    """A valid 18-digit resident ID for person number n."""
    from stdnum.cn import ric

    # 430102 (芙蓉区/东区) exists from 1983; stdnum's calc_check_digit wants a check slot.
    body = f"430102{1983 + n % 20}0101{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.ENTERPRISE
    name = factory.Sequence(lambda n: f"长沙测试企业{n}号有限公司")
    uscc = factory.Sequence(lambda n: make_uscc(n + 1))
    region_code = "430100"
    legal_representative_ref = factory.Sequence(lambda n: person_ref(make_resident_id(n)))
    status = Organization.Status.ACTIVE
    sme_tech_number = factory.Sequence(lambda n: f"2026430100A{n:05d}")
    sme_tech_year = 2026


class ProviderFactory(OrganizationFactory):
    kind = Organization.Kind.PROVIDER
    name = factory.Sequence(lambda n: f"湖南测试检测中心{n}")
    sme_tech_number = ""
    sme_tech_year = None
    bank_account_name = factory.SelfAttribute("name")
    bank_name = "中国工商银行长沙分行"
    bank_account_number = factory.Sequence(lambda n: f"6222020{n:012d}")
    categories = factory.LazyFunction(lambda: ["testing", "rd_design"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.ENTERPRISE
    organization = factory.SubFactory(OrganizationFactory)
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-9")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def staff_user(role: str, **kwargs) -> User:
    return UserFactory(role=role, organization=None, **kwargs)


class ShareholdingFactory(factory.django.DjangoModelFactory):
    """`holder_ref` is a party reference: org.party_ref or person_ref(resident_id)."""

    class Meta:
        model = Shareholding

    organization = factory.SubFactory(OrganizationFactory)
    holder_ref = factory.Sequence(lambda n: person_ref(make_resident_id(500 + n)))
    percent_hundredths = 3000


def member_user(organization: Organization, **kwargs) -> User:
    """A login user of `organization` whose role matches its kind."""
    return UserFactory(role=organization.kind, organization=organization, **kwargs)


def registration_payload(kind: str = "enterprise", n: int = 900, **overrides) -> dict:
    """A valid body for POST organizations/register/ (override any field)."""
    payload = {
        "kind": kind,
        "name": f"长沙注册测试{n}号有限公司",
        "uscc": make_uscc(n),
        "region_code": "430100",
        "username": f"reg{n}",
        "password": "Register-2026-pw",
        "email": f"reg{n}@example.cn",
        "legal_representative_id": make_resident_id(n),
        "shareholdings": [{"holder": make_resident_id(n), "percent": "60.00"}],
    }
    if kind == "provider":
        payload["bank_account"] = {
            "name": payload["name"],
            "bank": "中国银行长沙分行",
            "number": f"6013820{n:012d}",
        }
        payload["categories"] = ["testing"]
    else:
        payload["sme_tech_number"] = f"2026430100A{n:05d}"
        payload["sme_tech_year"] = 2026
    payload.update(overrides)
    return payload
