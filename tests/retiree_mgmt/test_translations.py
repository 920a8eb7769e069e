"""English, the second language: pages and messages come out in English, and the catalogue stays complete.

The catalogue tests run GNU gettext (Debian package `gettext`, installed by scripts/system-packages.sh)
on copies in a temporary directory, so the repository's files are never touched.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from registry.id_numbers import parse_resident_id
from tests.conftest import PASSWORD, County

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
# The folders the documented makemessages command ignores (docs/translations.md), and the files it reads.
IGNORED_DIRS = {".venv", "static", "var", "tests", "bench", "locale"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}


@dataclass(frozen=True)
class Entry:
    msgid: str
    msgstrs: tuple[str, ...]
    fuzzy: bool


def read_po(path: Path) -> list[Entry]:
    """The live entries of a .po file, header included; obsolete (`#~`) entries are left out."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#") or not line:
                continue
            elif line.startswith('"'):
                fields[key] += ast.literal_eval(line)
            else:
                key, _, text = line.partition(" ")
                fields[key] = ast.literal_eval(text)
        if "msgid" in fields:
            msgstrs = tuple(text for name, text in fields.items() if name.startswith("msgstr"))
            entries.append(Entry(msgid=fields["msgid"], msgstrs=msgstrs, fuzzy=fuzzy))
    return entries


def gettext_tool(*args: str) -> str:
    program = shutil.which(args[0])
    assert program, f"{args[0]} is missing: install the Debian package gettext (scripts/system-packages.sh)"
    result = subprocess.run(  # noqa: S603 - a gettext program on files of this test
        [program, *args[1:]], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def copy_sources(destination: Path) -> None:
    """The files makemessages reads, without the ignored folders, so it writes nothing into the repository
    (it puts a `.py` twin of each template next to it while it works)."""

    def ignored(directory: str, names: list[str]) -> set[str]:
        return {
            name
            for name in names
            if name in IGNORED_DIRS
            or name.startswith(".")
            or ((Path(directory) / name).is_file() and Path(name).suffix not in SOURCE_SUFFIXES)
        }

    shutil.copytree(ROOT, destination, ignore=ignored)


# --- pages ------------------------------------------------------------------------------------------------


def test_the_login_page_is_english_for_a_browser_that_asks_for_english(client: Client, db: None) -> None:
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<title>Sign in · Enterprise Retiree Management</title>" in content
    assert '<label class="form-label" for="id_username">Username</label>' in content
    assert '<label class="form-label" for="id_password">Password</label>' in content
    assert "用户名" not in content


def test_the_login_page_is_chinese_by_default(client: Client, db: None) -> None:
    response = client.get(reverse("login"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<title>登录 · 企业退休人员社会化管理服务系统</title>" in content
    assert '<label class="form-label" for="id_username">用户名</label>' in content
    assert '<label class="form-label" for="id_password">密码</label>' in content
    assert "Username" not in content


def test_the_login_page_offers_the_language_switch_back_to_itself(client: Client, db: None) -> None:
    url = f"{reverse('login')}?next={reverse('retiree-list')}"

    content = client.get(url).content.decode()

    assert f'action="{reverse("set_language")}"' in content
    assert (
        f'<input type="hidden" name="next" value="{reverse("login")}?next={reverse("retiree-list")}">'
        in content
    )
    assert 'name="language" value="zh-hans"' in content
    assert 'name="language" value="en"' in content


def test_choosing_english_keeps_english_after_signing_in(client: Client, county: County) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    content = client.get(reverse("home")).content.decode()

    assert "<title>Home · Enterprise Retiree Management</title>" in content
    assert "Sign out" in content
    assert f'action="{reverse("set_language")}"' in content


def test_choosing_chinese_again_brings_chinese_back(client: Client, county: County) -> None:
    client.force_login(county.clerk)
    client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    content = client.get(reverse("home")).content.decode()

    assert response["Location"] == reverse("home")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert "<title>首页 · 企业退休人员社会化管理服务系统</title>" in content
    assert "Sign out" not in content


# --- messages from code -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "Wrong ID number check character: the last character should be X, not 1. "
            "Please check the number.",
        ),
        ("zh-hans", "身份证号码校验位错误:最后一位应为 X,而不是 1,请核对号码。"),
    ],
)
def test_an_id_number_error_speaks_the_active_language(language: str, message: str) -> None:
    # 11010519491231002 has the check character X (ISO 7064 MOD 11-2); the number ends in 1.
    with translation.override(language), pytest.raises(ValidationError) as raised:
        parse_resident_id("110105194912310021")

    assert raised.value.messages == [message]


# --- the catalogue ----------------------------------------------------------------------------------------


def test_every_string_in_the_source_has_an_english_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "src"
    copy_sources(sources)
    shutil.copytree(ROOT / "locale", sources / "locale")
    monkeypatch.chdir(sources)

    with override_settings(LOCALE_PATHS=[sources / "locale"]):
        call_command("makemessages", locale=["en"], no_obsolete=True, verbosity=0)

    entries = read_po(sources / "locale" / "en" / "LC_MESSAGES" / "django.po")
    untranslated = [
        f"untranslated: {entry.msgid}" for entry in entries if entry.msgid and not all(entry.msgstrs)
    ]
    fuzzy = [f"fuzzy: {entry.msgid or '(header)'}" for entry in entries if entry.fuzzy]
    assert "企业退休人员社会化管理服务系统" in [entry.msgid for entry in entries]  # the sources were copied
    problems = untranslated + fuzzy
    assert problems == [], "translate these in locale/en (docs/translations.md):\n" + "\n".join(problems)


def test_the_compiled_catalogue_matches_the_po_file(tmp_path: Path) -> None:
    compiled = tmp_path / "django.mo"
    gettext_tool("msgfmt", "--check-format", "-o", str(compiled), str(PO_FILE))

    expected = gettext_tool("msgunfmt", str(compiled))
    committed = gettext_tool("msgunfmt", str(MO_FILE))

    assert committed == expected, "run compilemessages -l en and commit locale/en/LC_MESSAGES/django.mo"
