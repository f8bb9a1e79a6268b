"""Settings come from the environment: no connection string with a password is written in the app or its
Compose file, and the portal refuses to start without DATABASE_URL, saying where to set it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from portal import ConfigError, create_app

APP_DIR = Path(__file__).resolve().parent.parent
# A PostgreSQL URL with user:password@, the password written out (not a ${VARIABLE} reference).
URL_WITH_PASSWORD = re.compile(r"postgres(?:ql)?://[^:/\s@]+:(?!\$\{)[^@/\s]+@")


def test_create_app_without_database_url_says_what_to_set(monkeypatch, asset_dir):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError) as caught:
        create_app({"ASSET_DIR": asset_dir})
    message = str(caught.value)
    assert message.startswith("DATABASE_URL is not set: ")
    assert ".env.example" in message
    assert "app setting" in message


def test_database_url_comes_from_the_environment(monkeypatch, asset_dir, redis_url):
    url = "postgresql://portal@127.0.0.1:1/portal"
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app({"ASSET_DIR": asset_dir, "REDIS_URL": redis_url})
    try:
        assert app.config["DATABASE_URL"] == url
    finally:
        app.extensions["portal"]["store"].close()
        app.extensions["portal"]["cache"].close()


def test_the_wsgi_entry_fails_at_startup_without_database_url(asset_dir):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["ASSET_DIR"] = asset_dir
    result = subprocess.run(
        [sys.executable, "-c", "import portal.wsgi"], cwd=APP_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ConfigError: DATABASE_URL is not set" in result.stderr


def test_no_tracked_file_holds_a_database_password():
    files = [APP_DIR / "docker-compose.yml", APP_DIR / ".env.example", *APP_DIR.glob("portal/**/*.py")]
    found = [f"{path.name}: {m.group(0)}" for path in files for m in URL_WITH_PASSWORD.finditer(path.read_text())]
    assert found == []
    # The pattern does find a literal one, so an empty result means something (built here from parts, so
    # that this file holds no such URL either).
    assert URL_WITH_PASSWORD.search("postgresql://portal:" + "hunter22" + "@db:5432/portal")
    assert not URL_WITH_PASSWORD.search("postgresql://portal:${POSTGRES_PASSWORD:?x}@db:5432/portal")


def test_env_file_is_ignored_and_the_example_sets_no_password():
    assert ".env" in (APP_DIR / ".gitignore").read_text().splitlines()
    example = (APP_DIR / ".env.example").read_text()
    assert re.search(r"^POSTGRES_PASSWORD=$", example, re.MULTILINE)
