"""Real PostgreSQL and Redis for the tests, started on free 127.0.0.1 ports in a temp dir and stopped at the
end; or, when TEST_DATABASE_URL / TEST_REDIS_URL are set, the servers they name (a CI job's service
containers: the tests create a table, insert rows and delete cache keys there, so never point them at data
you keep). Nothing is mocked: degradation is tested by pointing the app at a port where nothing listens."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([shutil.which(name)] if shutil.which(name) else [])
    if not found:
        pytest.fail(f"{name} not found: install Debian's postgresql package (scripts/install-system-deps.sh)")
    return found[-1]


def _as_postgres_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, so drop to the postgres account there.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _wait_port(port: int, what: str, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with code {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s")


@pytest.fixture(scope="session")
def postgres_url():
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    workdir = tempfile.mkdtemp(prefix="portal-pg-")
    data = os.path.join(workdir, "data")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    init = subprocess.run(
        _as_postgres_user([_pg_bin("initdb"), "-D", data, "-U", "portal", "--auth=trust", "-E", "UTF8", "--no-sync"]),
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        pytest.fail(f"initdb failed: {init.stderr.strip()}")
    port = _free_port()
    server = subprocess.Popen(
        _as_postgres_user(
            [_pg_bin("postgres"), "-D", data, "-p", str(port), "-h", "127.0.0.1", "-k", workdir, "-F",
             "-c", "max_connections=50"]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, "postgres", server)
        # The server accepts connections a moment before it accepts logins.
        import psycopg2

        url = f"postgresql://portal@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg2.connect(url, connect_timeout=2).close()
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url():
    given = os.environ.get("TEST_REDIS_URL")
    if given:
        yield given
        return
    binary = shutil.which("redis-server")
    if not binary:
        pytest.fail("redis-server not found: install Debian's redis-server package (scripts/install-system-deps.sh)")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, "redis-server", server)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def asset_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("assets"))


@pytest.fixture()
def app(postgres_url, redis_url, asset_dir):
    from portal import create_app

    app = create_app({"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "ASSET_DIR": asset_dir, "APP_VERSION": "test"})
    app.extensions["portal"]["cache"].invalidate()
    yield app
    app.extensions["portal"]["store"].close()
    app.extensions["portal"]["cache"].close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def closed_port():
    """A port where nothing listens: connections are refused at once."""
    return _free_port()
