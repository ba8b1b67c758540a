from accounts.identity import (
    is_valid_resident_id,
    is_valid_uscc,
    party_ref,
    person_ref,
    resident_id_problem,
    uscc_problem,
)
from accounts.regions import is_valid_region_code, region_name
from tests.factories import RESIDENT_IDS


def test_spec_uscc_examples():
    assert is_valid_uscc("91430100MA4L12346D")
    assert not is_valid_uscc("91430100MA4L12346E")
    assert "check character" in uscc_problem("91430100MA4L12346E")
    assert "18 characters" in uscc_problem("91430100")
    assert uscc_problem("91430100MA4L12346D") is None


def test_resident_ids():
    assert all(is_valid_resident_id(r) for r in RESIDENT_IDS)
    assert resident_id_problem("110105194912310021")  # wrong check digit
    assert resident_id_problem("11010519491331002X")  # 13th month


def test_person_ref_is_a_keyed_digest_not_the_number(settings):
    ref = person_ref("11010519491231002X")
    assert ref.startswith("person:")
    assert "11010519491231002X" not in ref
    assert person_ref("11010519491231002x") == ref  # normalised
    settings.IDENTITY_HASH_SALT = "another-deployment"
    assert person_ref("11010519491231002X") != ref


def test_party_ref():
    assert party_ref("91430100MA4L12346D") == "uscc:91430100MA4L12346D"
    assert party_ref("11010519491231002X").startswith("person:")
    assert party_ref("not an id") is None


def test_region_codes():
    assert is_valid_region_code("430100")
    assert region_name("430100") == "长沙市"
    assert region_name("420100") == "武汉市"
    assert is_valid_region_code("430181")
    assert is_valid_region_code("450100")  # unknown city, valid province 45
    assert not is_valid_region_code("990100")
    assert not is_valid_region_code("43010")
    assert not is_valid_region_code("43010a")
