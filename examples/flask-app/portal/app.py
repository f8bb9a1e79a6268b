"""Routes: the HTML index, fingerprinted static assets, health and readiness, and the documents API."""

import gzip
import logging
import os
import re
import threading
import time
import uuid
from pathlib import Path

import redis
from flask import Flask, abort, g, jsonify, render_template, request, send_file

from .assets import load_manifest
from .cache import ResponseCache
from .logs import configure_logging
from .store import STATUSES, DatabaseUnavailable, DocumentStore

ONE_YEAR = 31_536_000
GZIP_MIN_BYTES = 512
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ConfigError(RuntimeError):
    """A setting the portal cannot start without is missing; the message names it and where to set it."""


def _settings(overrides: dict | None) -> dict:
    env = os.environ
    settings = {
        # No default: a connection string holds a password, which belongs in the environment (an App
        # Service app setting or Key Vault reference in Azure, `.env` with docker compose), never in code.
        "DATABASE_URL": env.get("DATABASE_URL", ""),
        "REDIS_URL": env.get("REDIS_URL", "redis://localhost:6379/0"),
        "ASSET_DIR": env.get("ASSET_DIR", str(Path(__file__).parent.parent / "static-build")),
        "CACHE_TTL_SECONDS": int(env.get("CACHE_TTL_SECONDS", "30")),
        "DB_POOL_SIZE": int(env.get("DB_POOL_SIZE", "10")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "LOG_REQUESTS": env.get("LOG_REQUESTS", "true").lower() == "true",
        "APP_VERSION": env.get("APP_VERSION", "dev"),
    }
    settings.update(overrides or {})
    if not settings["DATABASE_URL"]:
        raise ConfigError(
            "DATABASE_URL is not set: the portal reads its PostgreSQL connection string from the environment "
            "(in Azure an app setting, ideally a Key Vault reference; with docker compose, .env: see .env.example)"
        )
    return settings


def create_app(overrides: dict | None = None) -> Flask:
    settings = _settings(overrides)
    log = configure_logging(settings["LOG_LEVEL"])
    app = Flask(__name__, static_folder=None)
    app.config.update(settings)

    asset_dir = Path(settings["ASSET_DIR"])
    manifest = load_manifest(asset_dir)
    store = DocumentStore(settings["DATABASE_URL"], max_connections=settings["DB_POOL_SIZE"])
    cache = ResponseCache(settings["REDIS_URL"], ttl_seconds=settings["CACHE_TTL_SECONDS"])
    app.extensions["portal"] = {"store": store, "cache": cache}

    @app.context_processor
    def asset_urls():
        return {"asset": lambda name: f"/static/{manifest[name]}"}

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex

    @app.after_request
    def finish(response):
        response.headers["X-Request-ID"] = g.request_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        _compress(response)
        if settings["LOG_REQUESTS"]:
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - g.started) * 1000, 2),
                    "request_id": g.request_id,
                },
            )
        return response

    rendered_index = {}

    @app.get("/")
    def index():
        # The page depends only on the release (asset names, version): render it once per process.
        if "html" not in rendered_index:
            rendered_index["html"] = render_template("index.html", version=settings["APP_VERSION"])
        response = app.make_response(rendered_index["html"])
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/static/<path:name>")
    def static_asset(name):
        path = (asset_dir / name).resolve()
        if asset_dir.resolve() not in path.parents or not path.is_file() or name == "manifest.json":
            abort(404)
        gz = Path(f"{path}.gz")
        wants_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        if wants_gzip and gz.is_file():
            response = send_file(gz, mimetype=_mimetype(path), conditional=True, etag=True)
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = send_file(path, conditional=True, etag=True)
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response

    @app.get("/healthz")
    def healthz():
        # Liveness: the process serves requests. Dependencies are readiness's business; restarting the
        # app because PostgreSQL is down would not bring PostgreSQL back.
        return jsonify(status="ok", version=settings["APP_VERSION"])

    @app.get("/readyz")
    def readyz():
        checks = {"postgres": _check(store.ping), "redis": _check(cache.ping)}
        ready = all(c["ok"] for c in checks.values())
        if not ready:
            failed = ", ".join(f"{name}: {c['error']}" for name, c in checks.items() if not c["ok"])
            log.warning("not ready", extra={"reason": failed})
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        if not ready:
            body["error"] = "dependency unavailable: " + "; ".join(
                name for name, c in checks.items() if not c["ok"]
            )
        response = jsonify(body)
        response.status_code = 200 if ready else 503
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/api/documents")
    def list_documents():
        status = request.args.get("status")
        if status is not None and status not in STATUSES:
            return _error(400, f"status must be one of {', '.join(STATUSES)}")
        key = f"documents:{status or 'all'}"
        documents, cache_state = _cached(cache, key, lambda: store.list_documents(status), log)
        response = jsonify(documents=documents, count=len(documents))
        response.headers["X-Cache"] = cache_state
        response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
        return response

    @app.get("/api/documents/<int:doc_id>")
    def get_document(doc_id):
        document, cache_state = _cached(cache, f"document:{doc_id}", lambda: store.get_document(doc_id), log)
        if document is None:
            return _error(404, f"document {doc_id} not found")
        response = jsonify(document)
        response.headers["X-Cache"] = cache_state
        return response

    @app.post("/api/documents")
    def create_document():
        body = request.get_json(silent=True)
        problem = _validate(body)
        if problem:
            return _error(400, problem)
        document = store.create_document({k: body[k] for k in ("title", "category", "status", "owner", "review_due")})
        try:
            cache.invalidate("documents:*")
        except redis.RedisError as error:
            log.warning("cache invalidation failed", extra={"error": str(error)})
        response = jsonify(document)
        response.status_code = 201
        response.headers["Location"] = f"/api/documents/{document['id']}"
        return response

    @app.errorhandler(DatabaseUnavailable)
    def database_unavailable(error):
        log.error("database unavailable", extra={"error": str(error), "path": request.path})
        response = _error(503, f"database unavailable: {error}")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(404)
    def not_found(_exception):
        return _error(404, "not found")

    log.info("portal started", extra={"version": settings["APP_VERSION"], "assets": len(manifest)})
    return app


_loading: dict[str, threading.Lock] = {}
_loading_guard = threading.Lock()


def _cached(cache: ResponseCache, key: str, load, log: logging.Logger):
    try:
        hit = cache.get(key)
    except redis.RedisError as error:
        log.warning("cache unavailable, reading from the database", extra={"error": str(error)})
        return load(), "BYPASS"
    if hit is not None:
        return hit, "HIT"
    # Single flight: when a popular key expires under load, one request per process reloads it and the
    # others wait for that result instead of all querying PostgreSQL at once.
    with _loading_guard:
        lock = _loading.setdefault(key, threading.Lock())
    with lock:
        try:
            hit = cache.get(key)
        except redis.RedisError:
            hit = None
        if hit is not None:
            return hit, "HIT"
        return _load_and_store(cache, key, load, log), "MISS"


def _load_and_store(cache: ResponseCache, key: str, load, log: logging.Logger):
    value = load()
    if value is not None:
        try:
            cache.set(key, value)
        except redis.RedisError as error:
            log.warning("cache write failed", extra={"error": str(error)})
    return value


def _check(probe) -> dict:
    started = time.perf_counter()
    try:
        probe()
        return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
    except Exception as error:  # noqa: BLE001 - readiness reports any failure, whatever its type
        return {"ok": False, "error": (str(error).strip().splitlines() or [type(error).__name__])[0]}


def _validate(body) -> str | None:
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    for field in ("title", "category", "owner"):
        if not isinstance(body.get(field), str) or not body[field].strip():
            return f"{field} must be a non-empty string"
    if body.get("status") not in STATUSES:
        return f"status must be one of {', '.join(STATUSES)}"
    if not isinstance(body.get("review_due"), str) or not DATE.match(body["review_due"]):
        return "review_due must be a date YYYY-MM-DD"
    return None


def _error(status: int, message: str):
    response = jsonify(error=message, status=status)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _mimetype(path: Path) -> str:
    import mimetypes

    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _compress(response) -> None:
    """gzip dynamic text responses (HTML, JSON) for clients that accept it; assets come pre-compressed."""
    if (
        response.direct_passthrough
        or response.status_code < 200
        or response.status_code in (204, 304)
        or "Content-Encoding" in response.headers
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or not (response.mimetype.startswith("text/") or response.mimetype == "application/json")
    ):
        return
    data = response.get_data()
    if len(data) < GZIP_MIN_BYTES:
        return
    response.set_data(gzip.compress(data, compresslevel=5))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
