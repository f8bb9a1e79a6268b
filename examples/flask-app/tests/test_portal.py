"""Routes, health and readiness, caching headers, compression and degradation, against real servers."""

import gzip
import json
import re

from portal import create_app


def _gunzip_json(response):
    return json.loads(gzip.decompress(response.data))


def test_index_links_fingerprinted_assets(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    html = response.get_data(as_text=True)
    assert "Compliance Document Portal" in html
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert {a.rsplit(".", 1)[1] for a in assets} == {"css", "svg", "js"}
    for url in assets:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js|svg)$", url), url


def test_index_is_gzip_compressed_when_accepted(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert b"Compliance Document Portal" in gzip.decompress(response.data)


def test_static_assets_are_precompressed_and_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/portal\.[0-9a-f]+\.css)"', html).group(1)
    plain = client.get(css)
    zipped = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data)
    for response in (plain, zipped):
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.mimetype == "text/css"


def test_static_conditional_get_returns_304(client):
    html = client.get("/").get_data(as_text=True)
    js = re.search(r'src="(/static/portal\.[0-9a-f]+\.js)"', html).group(1)
    first = client.get(js)
    again = client.get(js, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_and_traversal_static_paths_are_404(client):
    assert client.get("/static/portal.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/manifest.json").status_code == 404
    assert client.get("/nowhere").get_json() == {"error": "not found", "status": 404}


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": "test"}


def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["postgres"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert response.headers["Cache-Control"] == "no-store"


def test_documents_api_reads_postgres_and_caches_in_redis(client):
    first = client.get("/api/documents")
    second = client.get("/api/documents")
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Cache"] == "MISS"
    assert second.headers["X-Cache"] == "HIT"
    assert first.get_json() == second.get_json()
    body = first.get_json()
    assert body["count"] == len(body["documents"]) >= 6
    assert {"id", "title", "category", "status", "owner", "review_due"} <= set(body["documents"][0])


def test_documents_api_filters_and_validates_status(client):
    approved = client.get("/api/documents?status=approved").get_json()
    assert approved["count"] >= 1
    assert all(d["status"] == "approved" for d in approved["documents"])
    bad = client.get("/api/documents?status=bogus")
    assert bad.status_code == 400
    assert "status must be one of" in bad.get_json()["error"]


def test_document_create_read_and_cache_invalidation(client):
    before = client.get("/api/documents").get_json()["count"]
    assert client.get("/api/documents").headers["X-Cache"] == "HIT"
    created = client.post(
        "/api/documents",
        json={"title": "Access Review Q4", "category": "audit", "status": "draft", "owner": "iam@example.com", "review_due": "2027-01-15"},
    )
    assert created.status_code == 201
    doc = created.get_json()
    assert created.headers["Location"] == f"/api/documents/{doc['id']}"
    after = client.get("/api/documents")
    assert after.headers["X-Cache"] == "MISS"
    assert after.get_json()["count"] == before + 1
    assert client.get(f"/api/documents/{doc['id']}").get_json()["title"] == "Access Review Q4"
    assert client.get("/api/documents/999999").status_code == 404


def test_document_create_rejects_bad_bodies(client):
    assert client.post("/api/documents", data="nope", content_type="text/plain").status_code == 400
    bad_date = client.post(
        "/api/documents",
        json={"title": "x", "category": "y", "status": "draft", "owner": "z", "review_due": "soon"},
    )
    assert bad_date.status_code == 400
    assert bad_date.get_json()["error"] == "review_due must be a date YYYY-MM-DD"


def test_json_api_is_gzip_compressed_when_large(client):
    response = client.get("/api/documents", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert _gunzip_json(response)["count"] >= 6


def test_redis_down_api_still_answers_but_not_ready(postgres_url, asset_dir, closed_port):
    app = create_app({"DATABASE_URL": postgres_url, "REDIS_URL": f"redis://127.0.0.1:{closed_port}/0", "ASSET_DIR": asset_dir})
    client = app.test_client()
    api = client.get("/api/documents")
    assert api.status_code == 200
    assert api.headers["X-Cache"] == "BYPASS"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["status"] == "not ready"
    assert body["error"] == "dependency unavailable: redis"
    assert body["checks"]["postgres"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False
    assert "refused" in body["checks"]["redis"]["error"].lower()
    assert client.get("/healthz").status_code == 200


def test_postgres_down_api_explains_and_not_ready(redis_url, asset_dir, closed_port):
    app = create_app({"DATABASE_URL": f"postgresql://portal@127.0.0.1:{closed_port}/portal", "REDIS_URL": redis_url, "ASSET_DIR": asset_dir})
    app.extensions["portal"]["cache"].invalidate()
    client = app.test_client()
    api = client.get("/api/documents")
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "5"
    assert api.get_json()["error"].startswith("database unavailable: ")
    assert "refused" in api.get_json()["error"].lower()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["error"] == "dependency unavailable: postgres"
    assert client.get("/healthz").status_code == 200


def test_logs_are_one_json_object_per_line(client, capsys):
    client.get("/healthz", headers={"X-Request-ID": "req-123"})
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    request = next(e for e in entries if e["message"] == "request" and e.get("request_id") == "req-123")
    assert request["path"] == "/healthz"
    assert request["status"] == 200
    assert request["level"] == "info"
    assert isinstance(request["duration_ms"], float)


def test_port_comes_from_websites_port(monkeypatch):
    import runpy
    from pathlib import Path

    conf = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
    monkeypatch.setenv("WEBSITES_PORT", "8181")
    assert runpy.run_path(str(conf))["bind"] == "0.0.0.0:8181"
    monkeypatch.delenv("WEBSITES_PORT")
    monkeypatch.setenv("PORT", "9191")
    assert runpy.run_path(str(conf))["bind"] == "0.0.0.0:9191"
    assert runpy.run_path(str(conf))["worker_class"] == "gevent"
