"""vouchers/ and vouchers/{code}/: owner and staff; a provider only once it has claimed."""

from tests.conftest import client_for
from tests.factories import member_user
from tests.vouchers.conftest import issue, make_enterprise, make_provider, submit

URL = "/api/v1/vouchers/"


def test_owner_and_staff_see_vouchers(voucher, enterprise, reviewer, finance, auditor):
    for user in (enterprise, reviewer, finance, auditor):
        listed = client_for(user).get(URL).json()
        assert listed["count"] == 1
        one = listed["results"][0]
        assert one["code"] == voucher.code and one["face_value"] == "20000.00"
        assert {"code", "programme", "enterprise", "face_value", "available", "held", "spent",
                "status", "valid_until"} <= set(one)


def test_lookup_forgives_typing(voucher, enterprise):
    typed = voucher.code.lower().replace("-", " ")
    response = client_for(enterprise).get(f"{URL}{typed}/")
    assert response.status_code == 200 and response.json()["code"] == voucher.code
    assert client_for(enterprise).get(f"{URL}{voucher.code.replace('-', '')}/").status_code == 200


def test_bad_check_character_or_someone_elses_is_not_found(voucher, enterprise):
    last = voucher.code[-1]
    wrong = voucher.code[:-1] + ("0" if last != "0" else "1")
    response = client_for(enterprise).get(f"{URL}{wrong}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    other = member_user(make_enterprise())
    assert client_for(other).get(f"{URL}{voucher.code}/").status_code == 404
    assert client_for(other).get(URL).json()["count"] == 0


def test_provider_sees_a_voucher_only_after_claiming(voucher, provider, programme, reviewer):
    assert client_for(provider).get(f"{URL}{voucher.code}/").status_code == 404
    assert client_for(provider).get(URL).json()["count"] == 0
    submit(provider, voucher, "100.00", invoice="1000.00")
    assert client_for(provider).get(f"{URL}{voucher.code}/").status_code == 200
    assert client_for(provider).get(URL).json()["count"] == 1
    # another voucher of the same programme stays invisible
    another = issue(programme, member_user(make_enterprise()), reviewer, "1000.00")
    assert client_for(provider).get(f"{URL}{another.code}/").status_code == 404
    assert client_for(member_user(make_provider())).get(f"{URL}{voucher.code}/"
                                                        ).status_code == 404


def test_filters(voucher, reviewer, programme):
    client = client_for(reviewer)
    assert client.get(URL, {"status": "active"}).json()["count"] == 1
    assert client.get(URL, {"status": "expired"}).json()["count"] == 0
    assert client.get(URL, {"programme": programme.code}).json()["count"] == 1
