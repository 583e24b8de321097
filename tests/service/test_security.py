"""Who may call what: every route is enumerated and checked without credentials."""

import logging
import os

import pytest
from starlette.routing import Mount

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),  # protected by CSRF + password instead
}
SAMPLE_PATH_VALUES = {"code": "kota-surabaya", "item_id": "1"}


def flat_routes(app):
    """Every concrete route, also inside included routers (FastAPI >= 0.16x wraps them)."""
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        contexts = getattr(route, "effective_route_contexts", None)
        yield from (contexts() if contexts else [route])


def all_routes(app):
    for route in flat_routes(app):
        for method in sorted(route.methods or []):
            if method == "HEAD":
                continue
            path = route.path
            for name, value in SAMPLE_PATH_VALUES.items():
                path = path.replace("{" + name + "}", value)
            yield method, route.path, path


def test_every_route_is_public_keyed_or_admin(client):
    seen_public = set()
    for method, template, path in all_routes(client.app):
        response = client.request(method, path, follow_redirects=False)
        if (method, template) in PUBLIC:
            seen_public.add((method, template))
            continue
        if template.startswith("/admin"):
            # Admin pages redirect to the login; admin form posts without a
            # session fail the CSRF check before doing anything.
            assert response.status_code in (303, 403), (method, template, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/admin/login")
        else:
            assert response.status_code == 401, (method, template, response.status_code)
            wrong = client.request(
                method, path, headers={"X-API-Key": "wrong"}, follow_redirects=False
            )
            assert wrong.status_code == 403, (method, template)
    assert seen_public == PUBLIC
    checked = {template for _, template, _ in all_routes(client.app)}
    assert {
        "/v1/classify",
        "/v1/review/queue",
        "/metrics",
        "/admin",
        "/admin/items/{item_id}/review",
    } <= checked


def test_rate_limit_per_api_key(make_client):
    client = make_client(rate_limit="3/minute", api_keys=["key-a", "key-b"])
    for _ in range(3):
        assert client.get("/v1/taxonomy", headers={"X-API-Key": "key-a"}).status_code == 200
    limited = client.get("/v1/taxonomy", headers={"X-API-Key": "key-a"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "rate limit" in limited.json()["detail"]
    assert client.get("/v1/taxonomy", headers={"X-API-Key": "key-b"}).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_guessing_api_keys_from_one_address_must_wait(make_client):
    client = make_client(key_guess_limit="3/15 minutes", api_keys=["the-real-key-123"])
    for n in range(3):
        wrong = client.get("/v1/taxonomy", headers={"X-API-Key": f"guess-{n}"})
        assert wrong.status_code == 403
    blocked = client.get("/v1/taxonomy", headers={"X-API-Key": "guess-4"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert "too many wrong API keys" in blocked.json()["detail"]
    # The right key waits too from that address: an answer would confirm a guess.
    assert client.get("/v1/taxonomy", headers={"X-API-Key": "the-real-key-123"}).status_code == 429
    # A missing key is not a guess, and public routes stay open.
    assert client.get("/v1/taxonomy").status_code == 401
    assert client.get("/healthz").status_code == 200
    # Another address is not held back.
    from fastapi.testclient import TestClient

    other = TestClient(client.app, client=("203.0.113.7", 50000))
    assert other.get("/v1/taxonomy", headers={"X-API-Key": "the-real-key-123"}).status_code == 200


def test_behind_a_trusted_proxy_wrong_keys_hold_back_only_their_client(make_client):
    from fastapi.testclient import TestClient

    proxy = ("10.0.0.2", 443)
    app = make_client(
        key_guess_limit="2/15 minutes", api_keys=["the-real-key-123"], trusted_proxies="10.0.0.2"
    ).app
    via_proxy = TestClient(app, client=proxy)
    stale = {"X-API-Key": "stale-old-key", "X-Forwarded-For": "198.51.100.9"}
    for _ in range(2):
        assert via_proxy.get("/v1/taxonomy", headers=stale).status_code == 403
    assert via_proxy.get("/v1/taxonomy", headers=stale).status_code == 429
    # Another intake system behind the same proxy keeps working.
    good = {"X-API-Key": "the-real-key-123", "X-Forwarded-For": "198.51.100.10"}
    assert via_proxy.get("/v1/taxonomy", headers=good).status_code == 200
    # A peer that is not a trusted proxy cannot choose the address it is counted under.
    spoofer = TestClient(app, client=("203.0.113.5", 1))
    for n in range(3):
        spoofer.get(
            "/v1/taxonomy", headers={"X-API-Key": "guess", "X-Forwarded-For": f"192.0.2.{n}"}
        )
    assert spoofer.get("/v1/taxonomy", headers={"X-API-Key": "guess"}).status_code == 429


@pytest.mark.parametrize("entry", ["*", "proxy.internal", "10.0.0.300", "10.0.0.5/24"])
def test_trusted_proxies_must_be_addresses(entry):
    from pydantic import ValidationError
    from salur.service.settings import Settings

    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(trusted_proxies=f"127.0.0.1,{entry}")
    assert Settings(trusted_proxies="127.0.0.1, 10.0.0.0/24").trusted_proxies == [
        "127.0.0.1",
        "10.0.0.0/24",
    ]


def test_an_unreachable_rate_limit_store_lets_requests_through(make_client, caplog, monkeypatch):
    import re

    from salur.service import ratelimit

    monkeypatch.setattr(ratelimit, "_health", {})  # no earlier test's outage carries over
    key = "the-real-key-123"
    # Nothing listens on port 1: every counter call fails as a Redis outage would.
    client = make_client(api_keys=[key], rate_limit_storage="redis://127.0.0.1:1")
    assert client.get("/v1/taxonomy", headers={"X-API-Key": key}).status_code == 200
    assert "rate-limit store unreachable" in caplog.text
    assert client.get("/v1/taxonomy", headers={"X-API-Key": "wrong"}).status_code == 403
    # A login reaches the throttle (a valid CSRF token) and is answered, not a 500.
    page = client.get("/admin/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    login = client.post(
        "/admin/login",
        data={"username": "nobody", "password": "x", "csrf_token": token},
        follow_redirects=False,
    )
    assert login.status_code == 401
    # After the first failure the store is left alone for a while: no request waits on it.
    assert not ratelimit._health["redis://127.0.0.1:1"].usable()


def test_a_cluster_store_unreachable_at_start_up_does_not_stop_the_service(make_client, caplog):
    key = "the-real-key-123"
    client = make_client(api_keys=[key], rate_limit_storage="redis+cluster://127.0.0.1:1")
    assert client.get("/v1/taxonomy", headers={"X-API-Key": key}).status_code == 200
    assert "unreachable at start-up" in caplog.text


def test_rate_limit_shared_through_redis(make_client):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") and os.environ.get("SALUR_REQUIRE_REDIS"):
            pytest.fail("Redis required but not reachable on 127.0.0.1:6379")
        pytest.skip("Redis not reachable on 127.0.0.1:6379")
    import uuid

    key = f"key-{uuid.uuid4().hex}"
    settings = {
        "rate_limit": "2/minute",
        "api_keys": [key],
        "rate_limit_storage": "redis://127.0.0.1:6379",
    }
    first, second = make_client(**settings), make_client(**settings)  # two "workers"
    assert first.get("/v1/taxonomy", headers={"X-API-Key": key}).status_code == 200
    assert second.get("/v1/taxonomy", headers={"X-API-Key": key}).status_code == 200
    assert first.get("/v1/taxonomy", headers={"X-API-Key": key}).status_code == 429


def test_no_pii_or_text_in_logs_across_endpoints(make_client, auth, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(thresholds={"agency": 1.01})
    nik, phone = "3204123456789012", "081298765432"
    text = f"Saya Bapak Joko Widodo NIK {nik} hp {phone} jalan rusak parah"
    client.post("/v1/classify", json={"text": text, "region": "kab-bandung"}, headers=auth)
    client.post("/v1/classify", json={"text": text, "region": "nowhere"}, headers=auth)
    client.post("/v1/classify", json={"text": text * 2000}, headers=auth)
    client.post("/v1/classify", json={"text": text, "bad": 1}, headers=auth)
    client.post("/v1/classify/batch", json={"items": [{"text": text}, {"text": ""}]}, headers=auth)
    items = client.get("/v1/review/queue", headers=auth).json()["items"]
    assert items and nik not in str(items) and phone not in str(items)
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "request_id=" in logged
    for secret in (nik, phone, "Joko", "jalan rusak"):
        assert secret not in logged


def test_admin_pages_send_security_headers(client):
    response = client.get("/admin/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_corrupt_model_is_refused_at_start(small_model_dir, tmp_path, make_client):
    import shutil

    tampered = tmp_path / "tampered"
    shutil.copytree(small_model_dir, tampered)
    with (tampered / "pipeline.joblib").open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x00\x00\x00")
    client = make_client(model_dir=tampered)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "SHA-256" in ready.json()["detail"]


def test_the_key_is_checked_before_the_body_is_read(client, auth):
    malformed = b'{"text": "jalan rusak", ' + b"x" * 100_000
    headers = {"Content-Type": "application/json"}
    keyless = client.post("/v1/classify", content=malformed, headers=headers)
    assert keyless.status_code == 401, keyless.text
    assert keyless.json()["detail"] == "missing X-API-Key header"
    assert keyless.json()["request_id"] == keyless.headers["X-Request-ID"]
    wrong = client.post("/v1/classify", content=malformed, headers={**headers, "X-API-Key": "no"})
    assert wrong.status_code == 403
    # With a key the same body is parsed and refused for what it is.
    assert (
        client.post("/v1/classify", content=malformed, headers={**headers, **auth}).status_code
        == 422
    )
    assert client.get("/metrics").status_code == 401
    assert client.get("/healthz").status_code == 200


def test_health_probes_answer_head_as_load_balancers_send_it(client):
    assert client.head("/healthz").status_code == 200
    assert client.head("/readyz").status_code == 200


def test_start_up_log_names_keys_by_fingerprint_only(make_client, caplog):
    from salur.service.auth import key_fingerprint

    secret = "a-long-intake-secret-0123456789"
    with caplog.at_level(logging.INFO, logger="salur.service"):
        make_client(api_keys=[secret, "second-system-key"])
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert key_fingerprint(secret) in logged and key_fingerprint("second-system-key") in logged
    assert secret not in logged and "second-system-key" not in logged
    assert key_fingerprint(secret) != key_fingerprint("second-system-key")
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    # The short one is named by its fingerprint and told to grow; the long one is not.
    assert any(key_fingerprint("second-system-key") in w and "17 characters" in w for w in warnings)
    assert not any(key_fingerprint(secret) in w for w in warnings)


def _read_session_secret(key_file, results):
    from salur.service.security import session_secret

    results.put(session_secret(None, key_file))


def test_workers_starting_together_share_one_whole_session_key(tmp_path):
    import multiprocessing
    import stat

    context = multiprocessing.get_context("spawn")
    key_file = tmp_path / "var" / "session.key"
    results = context.Queue()
    workers = [
        context.Process(target=_read_session_secret, args=(key_file, results)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    keys = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert len(set(keys)) == 1 and len(keys[0]) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["session.key"]


def test_an_empty_session_key_file_is_refused(tmp_path):
    from salur.service.security import session_secret

    key_file = tmp_path / "session.key"
    key_file.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        session_secret(None, key_file)
    assert session_secret("configured", key_file) == "configured"


def test_the_content_secret_starts_from_the_session_secret_and_then_stays(tmp_path):
    from salur.service.security import content_secret

    key_file = tmp_path / "content.key"
    # Digests stored before the content secret existed were keyed by the session's.
    assert content_secret(None, key_file, "session-one") == "session-one"
    # Rotating the session secret later leaves the digests' key as it was.
    assert content_secret(None, key_file, "session-two") == "session-one"
    assert content_secret("configured", key_file, "session-two") == "configured"
    key_file.write_text("")
    with pytest.raises(ValueError, match="SALUR_CONTENT_SECRET"):
        content_secret(None, key_file, "session-two")
