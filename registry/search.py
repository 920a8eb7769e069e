"""Search keys for a retiree's name: what the search box matches besides ID, certificate and account numbers.

A name gets one key per reading of its characters, because common surnames have several (曾 zeng/ceng,
单 shan/dan, 解 xie/jie; pypinyin's default reading is wrong for several of them,
docs/technical-notes.md). The number of combinations is capped: a name of rare characters with many
readings keeps the first MAX_READINGS.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

from pypinyin import Style, pinyin

MAX_READINGS = 16
PINYIN = "p"
INITIALS = "i"
NAME = "n"
PIECE = "s"


@lru_cache(maxsize=20_000)
def readings(character: str) -> tuple[str, ...]:
    """Every pinyin reading of one character, without tones; the character itself when it has none
    (a rare character outside pypinyin's tables, a Latin letter)."""
    found = pinyin(character, style=Style.NORMAL, heteronym=True, errors="default")[0]
    return tuple(dict.fromkeys(reading.lower() for reading in found if reading))


def normalise_name(name: str) -> str:
    """A name as stored and searched: no spaces inside or around (clerks type 张 伟), middle dot kept."""
    return "".join(name.split())


def search_keys_for(name: str) -> list[tuple[str, str]]:
    """(kind, key) pairs for a name: the name, every 1–2 character piece of it, every full-pinyin reading and
    its initials. Ordered and without duplicates, so rebuilding gives the same rows."""
    name = normalise_name(name)
    keys: dict[tuple[str, str], None] = {(NAME, name): None}
    for length in (1, 2):
        for start in range(len(name) - length + 1):
            keys[(PIECE, name[start : start + length])] = None
    combos = itertools.islice(itertools.product(*(readings(ch) for ch in name)), MAX_READINGS)
    for combo in combos:
        keys[(PINYIN, "".join(combo))] = None
        keys[(INITIALS, "".join(part[0] for part in combo if part))] = None
    return [key for key in keys if key[1]]
