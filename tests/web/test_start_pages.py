"""Each role's start page lists its pages; visitors go to sign-in; other roles are refused."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.web.conftest import signed_in

START_LINKS = {
    "enterprise": ["enterprise-vouchers", "enterprise-apply", "enterprise-applications",
                   "enterprise-claims"],
    "provider": ["provider-claims", "provider-claim-new"],
    "reviewer": ["reviewer-organizations", "reviewer-applications", "reviewer-claims",
                 "programmes"],
    "finance": ["programmes", "trial-balance"],
    "auditor": ["audit", "trial-balance", "programmes"],
    "admin": ["admin:index"],
}
USER_FIXTURE = {"enterprise": "enterprise", "provider": "provider", "reviewer": "reviewer",
                "finance": "finance", "auditor": "auditor", "admin": "admin_user"}


@pytest.mark.parametrize("role", START_LINKS)
def test_start_page_links_to_each_page_of_the_role_and_each_page_opens(role, request):
    user = request.getfixturevalue(USER_FIXTURE[role])
    client = signed_in(user)
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in START_LINKS[role]:
        url = reverse(name)
        assert f'href="{url}"' in html
        if not name.startswith("admin:"):
            assert client.get(url).status_code == 200, url


def test_start_page_is_in_chinese_by_default(enterprise):
    html = signed_in(enterprise).get("/").content.decode()
    assert "我的创新券" in html
    assert "My vouchers" not in html


def test_visitor_is_sent_to_sign_in_from_any_page(db):
    response = Client().get(reverse("enterprise-vouchers"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/enterprise/vouchers/")


@pytest.mark.parametrize(("role", "url_name"), [
    ("enterprise", "reviewer-organizations"),
    ("provider", "enterprise-vouchers"),
    ("reviewer", "provider-claim-new"),
    ("finance", "reviewer-claims"),
    ("auditor", "enterprise-apply"),
    ("enterprise", "audit"),
    ("reviewer", "trial-balance"),
])
def test_another_role_is_refused(role, url_name, request):
    user = request.getfixturevalue(USER_FIXTURE[role])
    response = signed_in(user).get(reverse(url_name))
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_auditor_cannot_fund_a_programme(auditor, programme):
    client = signed_in(auditor)
    response = client.post(reverse("programme-fund", args=[programme.code]),
                           {"amount": "100.00"})
    assert response.status_code == 403


def test_member_of_a_pending_organisation_sees_a_notice_instead_of_actions(pending_enterprise):
    client = signed_in(pending_enterprise)
    home = client.get("/").content.decode()
    assert "暂不能办理业务" in home
    assert reverse("enterprise-apply") not in home
    assert reverse("enterprise-vouchers") in home
    listing = client.get(reverse("enterprise-vouchers"))
    assert listing.status_code == 200
    assert reverse("enterprise-apply") not in listing.content.decode().split("</nav>")[1]
    action = client.get(reverse("enterprise-apply"))
    assert action.status_code == 403
    assert "只有状态正常的机构" in action.content.decode()
