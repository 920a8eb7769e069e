"""Signing in and out through the pages, as a person does."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()


def sign_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.get_by_role("button", name=re.compile("退出")).click()
    expect(page).to_have_url(re.compile(r"/login/"))
