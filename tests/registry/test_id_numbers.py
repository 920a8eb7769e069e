import datetime

import pytest
from django.core.exceptions import ValidationError

from registry.id_numbers import check_character, mask_account_number, mask_resident_id, parse_resident_id

TODAY = datetime.date(2026, 11, 23)


def test_a_valid_number_is_accepted_with_its_birth_date_and_sex():
    given = parse_resident_id("11010519491231002X", today=TODAY)

    assert given.number == "11010519491231002X"
    assert given.original == ""
    assert given.birth_date == datetime.date(1949, 12, 31)
    assert given.sex == "F"
    assert given.warnings == ()


def test_the_check_character_is_iso_7064_mod_11_2():
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"
    assert check_character("36072119580314001") == "0"  # sum 254, 254 mod 11 = 1 → "0"


def test_a_wrong_check_character_is_refused_with_the_right_one_named():
    with pytest.raises(ValidationError) as refused:
        parse_resident_id("110105194912310021", today=TODAY)

    assert refused.value.code == "bad_check_character"
    assert "应为 X" in refused.value.messages[0]


def test_a_lower_case_x_is_accepted_and_stored_upper_case():
    assert parse_resident_id("11010519491231002x", today=TODAY).number == "11010519491231002X"


def test_surrounding_and_inner_spaces_are_ignored():
    assert parse_resident_id(" 110105 19491231 002X ", today=TODAY).number == "11010519491231002X"


@pytest.mark.parametrize(
    "number",
    [
        "110105194902300022",  # 30 February
        "110105194913010020",  # month 13
        "110105188001010012",  # born before 1890
        "110105203001010010",  # born in the future
    ],
)
def test_an_impossible_birth_date_is_refused(number):
    first17 = number[:17]
    with pytest.raises(ValidationError) as refused:
        parse_resident_id(first17 + check_character(first17), today=TODAY)

    assert refused.value.code == "bad_birth_date"


def test_a_15_digit_number_becomes_18_and_the_original_is_kept():
    given = parse_resident_id("110105491231002", today=TODAY)

    assert given.number == "11010519491231002X"
    assert given.original == "110105491231002"
    assert given.birth_date == datetime.date(1949, 12, 31)
    assert given.sex == "F"  # sequence 002 is even


@pytest.mark.parametrize(
    "raw", ["", "12345", "11010519491231002Y", "1101051949123100XX", "A10105194912310020"]
)
def test_anything_that_is_not_15_or_18_characters_of_the_right_kind_is_refused(raw):
    with pytest.raises(ValidationError) as refused:
        parse_resident_id(raw, today=TODAY)

    assert refused.value.code == "bad_shape"


def test_an_unknown_province_code_is_a_warning_not_a_refusal():
    first17 = "99010519491231002"
    given = parse_resident_id(first17 + check_character(first17), today=TODAY)

    assert given.number.startswith("990105")
    assert len(given.warnings) == 1
    assert "990105" in given.warnings[0]


def test_an_abolished_county_code_of_an_older_person_is_accepted_silently():
    # 610104 (Xi'an Lianhu district) was created long after 1962; python-stdnum refuses such real numbers.
    first17 = "61010419620115003"
    assert parse_resident_id(first17 + check_character(first17), today=TODAY).warnings == ()


def test_masking_keeps_the_address_code_and_the_last_four():
    assert mask_resident_id("11010519491231002X") == "110105********002X"


def test_the_stored_form_must_be_normalised():
    from registry.id_numbers import validate_resident_id

    validate_resident_id("11010519491231002X")
    for not_normalised in ("11010519491231002x", "110105491231002"):
        with pytest.raises(ValidationError) as refused:
            validate_resident_id(not_normalised)
        assert refused.value.code == "not_normalised"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("6221000000000022", "6221********0022"),
        ("6217000000000000033", "6217***********0033"),
        ("123456789", "1234*6789"),
        ("12345678", "****5678"),
    ],
)
def test_an_account_number_keeps_its_first_and_last_four(number, masked):
    assert mask_account_number(number) == masked
