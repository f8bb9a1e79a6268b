"""Compliance documents in PostgreSQL. The schema is created, and seeded, on first use, so the app can
start (and report itself not ready) before the database is reachable."""

import threading
from contextlib import contextmanager

import psycopg2
import psycopg2.extras
import psycopg2.pool

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id          SERIAL PRIMARY KEY,
    title       TEXT NOT NULL,
    category    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'in-review', 'approved', 'expired')),
    owner       TEXT NOT NULL,
    review_due  DATE NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""

SEED = [
    ("Information Security Policy", "policy", "approved", "ciso@example.com", "2027-03-31"),
    ("Data Retention Schedule", "policy", "in-review", "dpo@example.com", "2026-12-15"),
    ("SOC 2 Type II Report", "audit", "approved", "audit@example.com", "2027-06-30"),
    ("Vendor Risk Assessment: Payments", "risk", "draft", "risk@example.com", "2026-12-01"),
    ("Business Continuity Plan", "plan", "approved", "ops@example.com", "2027-01-31"),
    ("GDPR Records of Processing", "register", "expired", "dpo@example.com", "2026-10-01"),
]

STATUSES = ("draft", "in-review", "approved", "expired")
COLUMNS = "id, title, category, status, owner, to_char(review_due, 'YYYY-MM-DD') AS review_due"


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached or refused the query; the message says why."""


class DocumentStore:
    def __init__(self, dsn: str, max_connections: int = 10, connect_timeout: int = 2, pool_wait_seconds: float = 8.0):
        self._dsn = dsn
        self._pool_wait = pool_wait_seconds
        self._max = max_connections
        self._connect_timeout = connect_timeout
        self._pool = None
        self._lock = threading.Lock()
        # psycopg2's pool raises when exhausted instead of waiting; under gevent many requests can want a
        # connection at once (a cache miss under load), so they queue here for a slot instead of failing.
        self._slots = threading.BoundedSemaphore(max_connections)
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def _get_pool(self):
        with self._lock:
            if self._pool is None:
                self._pool = psycopg2.pool.ThreadedConnectionPool(
                    0, self._max, self._dsn, connect_timeout=self._connect_timeout
                )
            return self._pool

    @contextmanager
    def _cursor(self):
        if not self._slots.acquire(timeout=self._pool_wait):
            raise DatabaseUnavailable(f"all {self._max} database connections stayed busy")
        try:
            try:
                pool = self._get_pool()
                conn = pool.getconn()
            except (psycopg2.Error, psycopg2.pool.PoolError) as error:
                raise DatabaseUnavailable(_one_line(error)) from error
            broken = False
            try:
                with conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    yield cur
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
                broken = True
                raise DatabaseUnavailable(_one_line(error)) from error
            finally:
                pool.putconn(conn, close=broken or conn.closed != 0)
        finally:
            self._slots.release()

    def _ensure_schema(self):
        if self._schema_ready:
            return
        # One greenlet/thread per process creates the schema; the rest wait here instead of queueing on
        # the advisory lock with a pooled connection each.
        with self._schema_lock:
            if not self._schema_ready:
                self._create_schema()

    def _create_schema(self):
        with self._cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(424242)")
            cur.execute(SCHEMA)
            cur.execute("SELECT count(*) AS n FROM documents")
            if cur.fetchone()["n"] == 0:
                psycopg2.extras.execute_values(
                    cur,
                    "INSERT INTO documents (title, category, status, owner, review_due) VALUES %s",
                    SEED,
                )
        self._schema_ready = True

    def ping(self) -> None:
        with self._cursor() as cur:
            cur.execute("SELECT 1")

    def list_documents(self, status: str | None = None) -> list[dict]:
        self._ensure_schema()
        with self._cursor() as cur:
            if status:
                cur.execute(f"SELECT {COLUMNS} FROM documents WHERE status = %s ORDER BY id", (status,))
            else:
                cur.execute(f"SELECT {COLUMNS} FROM documents ORDER BY id")
            return [dict(row) for row in cur.fetchall()]

    def get_document(self, doc_id: int) -> dict | None:
        self._ensure_schema()
        with self._cursor() as cur:
            cur.execute(f"SELECT {COLUMNS} FROM documents WHERE id = %s", (doc_id,))
            row = cur.fetchone()
            return dict(row) if row else None

    def create_document(self, doc: dict) -> dict:
        self._ensure_schema()
        with self._cursor() as cur:
            cur.execute(
                f"INSERT INTO documents (title, category, status, owner, review_due) "
                f"VALUES (%(title)s, %(category)s, %(status)s, %(owner)s, %(review_due)s) RETURNING {COLUMNS}",
                doc,
            )
            return dict(cur.fetchone())

    def close(self):
        with self._lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
