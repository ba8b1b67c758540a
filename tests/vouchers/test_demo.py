from accounts.demo import load_demo_accounts
from tests.vouchers.conftest import check_books
from vouchers.demo import load_demo_vouchers
from vouchers.models import Application, Claim, Programme, Voucher


def test_demo_vouchers_show_every_early_state_and_load_once(db):
    logins = load_demo_accounts()
    lines = load_demo_vouchers(logins)
    assert all(isinstance(line, str) for line in lines)
    programme = Programme.objects.get()
    assert programme.region_code == "430100" and programme.partner_regions == ["420100"]
    assert set(Claim.objects.values_list("status", flat=True)) == {
        "pending_confirmation", "confirmed", "approved", "rejected", "withdrawn",
        "refused_by_enterprise"}
    assert set(Application.objects.values_list("status", flat=True)) == {
        "submitted", "approved", "rejected"}
    assert Voucher.objects.count() == 2
    budget = check_books(programme)
    assert budget["held"] == 400000 and budget["approved_unpaid"] == 800000

    again = load_demo_vouchers(load_demo_accounts())
    assert "already loaded" in again[0]
    assert Claim.objects.count() == 6 and Voucher.objects.count() == 2
