import re

from hypothesis import given, settings
from hypothesis import strategies as st

from vouchers import codes


def test_new_codes_are_formatted_checked_and_distinct():
    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    for code in list(made)[:200]:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
        assert codes.normalise(code) == code


def test_lookup_forgives_case_spaces_dashes_and_lookalikes():
    code = codes.new_code()
    compact = code.replace("-", "")
    typed = " ".join(compact[i:i + 3] for i in range(0, len(compact), 3)).lower()
    assert codes.normalise(typed) == code
    assert codes.normalise(f"  {code}  ") == code
    assert codes.normalise(code.replace("-", " - ")) == code
    zeros = "0000-0000-0000-000" + codes.check_symbol("0" * 15)
    assert codes.normalise(zeros.replace("0", "O")) == zeros
    ones = "1111-1111-1111-111" + codes.check_symbol("1" * 15)
    assert codes.normalise(ones.replace("1", "l")) == ones


def test_not_codes():
    code = codes.new_code()
    for text in ["", "ABC", code + "X", code[:-1], "U" * 16, None, 12345, "x" * 100]:
        assert codes.normalise(text) is None


@settings(max_examples=200)
@given(payload=st.text(alphabet=codes.ALPHABET, min_size=15, max_size=15),
       position=st.integers(0, 15), replacement=st.sampled_from(codes.ALPHABET))
def test_every_single_substitution_is_caught(payload, position, replacement):
    compact = payload + codes.check_symbol(payload)
    assert codes.is_valid_compact(compact)
    if compact[position] != replacement:
        typo = compact[:position] + replacement + compact[position + 1:]
        assert not codes.is_valid_compact(typo)
        assert codes.normalise(typo) is None


@settings(max_examples=200)
@given(payload=st.text(alphabet=codes.ALPHABET, min_size=15, max_size=15),
       position=st.integers(0, 14))
def test_most_neighbour_swaps_are_caught(payload, position):
    compact = payload + codes.check_symbol(payload)
    a, b = compact[position], compact[position + 1]
    swapped = compact[:position] + b + a + compact[position + 2:]
    # Luhn mod N misses only the swap of the two symbols whose values sum to N - 1 (0/V...)
    if a != b and {codes.ALPHABET.index(a), codes.ALPHABET.index(b)} != {0, 31}:
        assert not codes.is_valid_compact(swapped)
