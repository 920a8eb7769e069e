"""The production settings pass Django's deployment checklist and refuse to start without a real secret."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, secret: str) -> subprocess.CompletedProcess[str]:
    # A production process has none of the test run's switches (DJANGO_ALLOW_ASYNC_UNSAFE for Playwright).
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "retiree_mgmt.settings.production",
        "DJANGO_SECRET_KEY": secret,
    }
    return subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", secret=secrets.token_urlsafe(60))

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_development_secret_is_refused():
    result = run_manage("check", secret="dev-only-insecure-key-change-me-in-production")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
