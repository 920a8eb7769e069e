"""The Content-Security-Policy header, and templates that need nothing it forbids (docs/security.md)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import Client

from tests.conftest import County

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# WeasyPrint lays these out on the server; a browser never receives them, so their <style> blocks are fine.
PDF_TEMPLATE = re.compile(r"(_pdf|certificate_pdf)\.html$")


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def test_a_page_carries_the_policy_with_no_inline_script_style_or_eval(client: Client, county: County):
    client.force_login(county.clerk)

    response = client.get("/retirees/")

    assert response.status_code == 200
    assert policy_of(response) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def test_the_login_page_and_the_api_carry_it_too(client: Client, county: County):
    assert policy_of(client.get("/login/"))["script-src"] == ["'self'"]
    client.force_login(county.clerk)
    assert policy_of(client.get("/api/me/"))["default-src"] == ["'self'"]


def test_a_pdf_goes_without_the_policy_so_the_browsers_viewer_shows_it(client: Client, county: County):
    client.force_login(county.clerk)

    response = client.get(f"/api/pensions/retirees/{county.retiree_a1.pk}/statement.pdf")

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert "Content-Security-Policy" not in response


def test_only_the_swagger_page_may_use_inline_styles(client: Client, county: County):
    client.force_login(county.admin)

    policy = policy_of(client.get("/api/docs/"))

    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]


def _browser_templates() -> list[Path]:
    return [path for path in sorted(TEMPLATES.rglob("*.html")) if not PDF_TEMPLATE.search(path.name)]


def test_no_template_has_an_inline_script_or_event_handler():
    problems = []
    for path in _browser_templates():
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                problems.append(f"{path.relative_to(TEMPLATES)}: inline {tag}")
        for handler in re.findall(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", text):
            problems.append(f"{path.relative_to(TEMPLATES)}: {handler}=")
        if "javascript:" in text:
            problems.append(f"{path.relative_to(TEMPLATES)}: javascript: URL")

    assert problems == []


def test_no_template_has_an_inline_style():
    problems = []
    for path in _browser_templates():
        text = path.read_text(encoding="utf-8")
        problems += [f"{path.relative_to(TEMPLATES)}: <style>" for _match in re.findall(r"<style\b", text)]
        problems += [f"{path.relative_to(TEMPLATES)}: style=" for _match in re.findall(r"\sstyle\s*=", text)]

    assert problems == []


def test_the_scan_finds_what_it_looks_for(tmp_path):
    # The two scans above must be able to fail: the same patterns on a bad template.
    bad = '<script>alert(1)</script><button onclick="x()" hx-on:click="y()" style="color: red">'
    assert re.findall(r"<script\b[^>]*>", bad) == ["<script>"]
    assert re.findall(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", bad) == ["onclick", "hx-on:click"]
    assert re.findall(r"\sstyle\s*=", bad) == [" style="]
