from registry.search import INITIALS, NAME, PIECE, PINYIN, normalise_name, search_keys_for


def keys_of(name, kind):
    return [key for found_kind, key in search_keys_for(name) if found_kind == kind]


def test_a_name_is_found_by_every_reading_of_a_surname_with_several():
    assert keys_of("曾伟", PINYIN) == ["cengwei", "zengwei"]
    assert keys_of("曾伟", INITIALS) == ["cw", "zw"]
    assert set(keys_of("单立新", PINYIN)) >= {"shanlixin", "danlixin"}
    assert set(keys_of("解红梅", PINYIN)) >= {"xiehongmei", "jiehongmei"}


def test_pieces_of_one_and_two_characters_find_a_given_name_anywhere():
    assert keys_of("王秀英", PIECE) == ["王", "秀", "英", "王秀", "秀英"]
    assert keys_of("王秀英", NAME) == ["王秀英"]


def test_a_character_outside_the_pinyin_tables_is_kept_as_it_is():
    assert keys_of("张𠮷", PINYIN) == ["zhang𠮷"]


def test_spaces_typed_inside_a_name_are_dropped():
    assert normalise_name(" 张 伟 ") == "张伟"
    assert keys_of("张 伟", NAME) == ["张伟"]


def test_the_number_of_readings_is_capped():
    many = "行长重还"  # each has two or more readings
    assert len(keys_of(many, PINYIN)) <= 16
