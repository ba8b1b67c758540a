"""Users, roles, organisations and the data the related-party rule reads.

Personal ID numbers are never stored: only their keyed digests (see accounts.identity).
"""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", "企业 Enterprise"
    PROVIDER = "provider", "服务机构 Provider"
    REVIEWER = "reviewer", "科技局审核 Reviewer"
    FINANCE = "finance", "财政局 Finance"
    AUDITOR = "auditor", "审计 Auditor"
    ADMIN = "admin", "系统管理员 Admin"


STAFF_ROLES = frozenset({Role.REVIEWER, Role.FINANCE, Role.AUDITOR, Role.ADMIN})
MEMBER_ROLES = frozenset({Role.ENTERPRISE, Role.PROVIDER})


class ServiceCategory(models.TextChoices):
    RD_DESIGN = "rd_design", "研发设计 R&D design"
    TESTING = "testing", "检验检测 Testing"
    INSTRUMENT_SHARING = "instrument_sharing", "仪器共享 Instrument sharing"
    TECH_TRANSFER = "tech_transfer", "技术转移 Technology transfer"
    IP_SERVICES = "ip_services", "知识产权 IP services"
    CONSULTING = "consulting", "科技咨询 S&T consulting"


class Organization(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", "企业 Enterprise"
        PROVIDER = "provider", "服务机构 Provider"

    class Status(models.TextChoices):
        PENDING = "pending", "待审核 Pending"
        ACTIVE = "active", "正常 Active"
        SUSPENDED = "suspended", "暂停 Suspended"
        BLACKLISTED = "blacklisted", "失信 Blacklisted"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    uscc = models.CharField("统一社会信用代码 USCC", max_length=18, unique=True)
    region_code = models.CharField(max_length=6)
    # Party references are "uscc:<code>" for organisations or "person:<digest>" for people.
    legal_representative_ref = models.CharField(max_length=80)
    actual_controller_ref = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    status_reason = models.CharField(max_length=500, blank=True)
    # Enterprise qualifications
    sme_tech_number = models.CharField("科技型中小企业入库编号", max_length=64, blank=True)
    sme_tech_year = models.PositiveSmallIntegerField(null=True, blank=True)
    high_tech_certificate = models.CharField("高新技术企业证书编号", max_length=64, blank=True)
    high_tech_valid_until = models.DateField(null=True, blank=True)
    # Provider payment details and offer
    bank_account_name = models.CharField(max_length=200, blank=True)
    bank_name = models.CharField(max_length=200, blank=True)
    bank_account_number = models.CharField(max_length=64, blank=True)
    categories = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["actual_controller_ref"]),
            models.Index(fields=["legal_representative_ref"]),
        ]

    def __str__(self):
        return f"{self.name} ({self.uscc})"

    @property
    def party_ref(self) -> str:
        return f"uscc:{self.uscc}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Shareholding(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="shareholdings"
    )
    holder_ref = models.CharField(max_length=80)
    # Percent in hundredths (basis points of 100 %): "30.00" % -> 3000.
    percent_hundredths = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent_hundredths__lte=10000), name="shareholding_percent_max"
            ),
            models.CheckConstraint(
                condition=models.Q(percent_hundredths__gt=0), name="shareholding_percent_positive"
            ),
            # One line per holder: the related-party rule compares a holder's whole stake.
            models.UniqueConstraint(
                fields=["organization", "holder_ref"], name="shareholding_one_line_per_holder"
            ),
        ]
        indexes = [models.Index(fields=["holder_ref"])]

    def __str__(self):
        percent = self.percent_hundredths / 100
        return f"{self.holder_ref} holds {percent:.2f}% of {self.organization}"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Enterprise and provider users belong to exactly one organisation; staff to none.
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=["enterprise", "provider"], organization__isnull=False)
                    | models.Q(
                        role__in=["reviewer", "finance", "auditor", "admin"],
                        organization__isnull=True,
                    )
                ),
                name="user_role_matches_organization",
            ),
        ]

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES
