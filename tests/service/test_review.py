"""Review queue end to end through the routes: storage on classify, admin page, JSON API."""

import re

import pytest
from salur.service.security import hash_password
from salur.service.storage import ComplaintRecord

TEXT = "Jalan rusak berlubang parah di depan sekolah, sudah dua minggu tidak diperbaiki"
PII_TEXT = "Saya Ibu Siti Aminah NIK 3173012345678901 hp 081234567890, air pdam mati tiga hari"


@pytest.fixture
def review_client(make_client):
    # Thresholds above 1 send every complaint to review, so each classify call
    # creates a queue item.
    client = make_client(thresholds={"agency": 1.01})
    client.app.state.store.add_admin("admin1", hash_password("rahasia-sekali-123"))
    return client


def classify(client, auth, text=TEXT, **extra):
    response = client.post("/v1/classify", json={"text": text, **extra}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def login(client, username="admin1", password="rahasia-sekali-123", **extra):
    page = client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": token, **extra},
        follow_redirects=False,
    )


def csrf_from(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_needs_review_is_stored_masked(review_client, auth):
    answer = classify(
        review_client, auth, PII_TEXT, region="kota-surabaya", channel="sms", external_id="e1"
    )
    assert answer["decision"]["outcome"] == "needs_review"
    queue = review_client.get("/v1/review/queue", headers=auth).json()["items"]
    assert len(queue) == 1
    item = queue[0]
    assert item["request_id"] == answer["request_id"] and item["external_id"] == "e1"
    for secret in ("Siti", "3173012345678901", "081234567890"):
        assert secret not in item["text_masked"]
    assert "[NIK]" in item["text_masked"] and "[TELEPON]" in item["text_masked"]
    assert item["predicted"]["agency"] == answer["agency"]["code"]
    assert item["working_days_left"] is not None


def test_auto_routed_is_not_stored_unless_store_all(make_client, auth):
    client = make_client(thresholds={"agency": 0.0})
    classify(client, auth)
    assert client.get("/v1/review/queue", headers=auth).json()["items"] == []
    client_all = make_client(thresholds={"agency": 0.0}, store_all=True)
    classify(client_all, auth)
    items = client_all.get("/v1/review/queue?status=auto_routed", headers=auth).json()["items"]
    assert len(items) == 1


def test_write_failure_is_503_and_not_answered(make_client, auth):
    client = make_client(
        thresholds={"agency": 1.01},
        database_url="postgresql+psycopg://x@127.0.0.1:1/none?connect_timeout=1",
    )
    response = client.post("/v1/classify", json={"text": TEXT}, headers=auth)
    assert response.status_code == 503
    assert "not accepted" in response.json()["detail"]
    assert response.headers["Retry-After"] == "5"


def test_admin_pages_need_login(review_client):
    for path in ("/admin", "/admin/dashboard", "/admin/items/1"):
        response = review_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login")


def test_login_checks_password_and_csrf(review_client):
    page = review_client.get("/admin/login")
    assert (
        page.headers["X-Frame-Options"] == "DENY"
        and "default-src 'self'" in page.headers["Content-Security-Policy"]
    )
    bad_csrf = review_client.post(
        "/admin/login",
        data={"username": "admin1", "password": "rahasia-sekali-123", "csrf_token": "forged"},
    )
    assert bad_csrf.status_code == 403
    wrong = login(review_client, password="salah-salah-salah")
    assert wrong.status_code == 401 and "salah" in wrong.text
    assert login(review_client, username="nobody").status_code == 401
    ok = login(review_client)
    assert ok.status_code == 303 and ok.headers["location"] == "/admin"
    assert (
        "salur_admin" in ok.headers["set-cookie"]
        and "samesite=strict" in ok.headers["set-cookie"].lower()
    )


def test_accept_correct_and_audit_through_the_page(review_client, auth):
    answers = [classify(review_client, auth, region="kota-surabaya")]
    answers += [
        classify(
            review_client,
            auth,
            "bantuan pkh belum cair sudah tiga bulan",
            region="kota-surabaya",
            channel="sms",
        )
    ]
    login(review_client)
    queue = review_client.get("/admin")
    ids = [int(i) for i in re.findall(r'<tr data-id="(\d+)"', queue.text)]
    assert len(ids) == 2
    first, second = ids
    # Each item page says where the complaint would go in its region.
    pages = " ".join(review_client.get(f"/admin/items/{i}").text for i in ids)
    for answer in answers:
        assert f"OPD tujuan: {answer['agency']['opd_name']}" in pages
    filtered = review_client.get("/admin?channel=sms")
    assert re.findall(r'<tr data-id="(\d+)"', filtered.text) == [str(second)]

    token = csrf_from(review_client, f"/admin/items/{first}")
    forged = review_client.post(
        f"/admin/items/{first}/review", data={"action": "accepted", "csrf_token": "x"}
    )
    assert forged.status_code == 403
    accepted = review_client.post(
        f"/admin/items/{first}/review",
        data={"action": "accepted", "csrf_token": token},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    page = review_client.get(f"/admin/items/{first}")
    assert "Sudah ditinjau oleh admin1" in page.text and "accepted" in page.text

    token = csrf_from(review_client, f"/admin/items/{second}")
    item = review_client.get(f"/v1/review/items/{second}", headers=auth).json()
    form = {
        **item["predicted"],
        "agency": "pupr" if item["predicted"]["agency"] != "pupr" else "sosial",
    }
    corrected = review_client.post(
        f"/admin/items/{second}/review",
        data={**form, "action": "corrected", "csrf_token": token},
        follow_redirects=False,
    )
    assert corrected.status_code == 303
    after = review_client.get(f"/v1/review/items/{second}", headers=auth).json()
    assert after["status"] == "corrected" and after["final"]["agency"] == form["agency"]
    # The model's office is not shown as where a corrected complaint goes.
    assert "OPD tujuan" not in review_client.get(f"/admin/items/{second}").text
    assert (
        after["audit"][0]["admin"] == "admin1"
        and after["audit"][0]["details"]["after"]["agency"] == form["agency"]
        and after["audit"][0]["via"] == "admin page"
    )
    assert review_client.get("/admin").text.count("<tr data-id") == 0

    dashboard = review_client.get("/admin/dashboard")
    assert dashboard.status_code == 200
    assert f"agency: {item['predicted']['agency']} → {form['agency']}" in dashboard.text
    assert "<svg" in dashboard.text
    # Screen readers get the figures as a table (the chart is hidden from them).
    label = f"agency: {item['predicted']['agency']} → {form['agency']}"
    assert f"<tr><td>{label}</td><td>1</td></tr>" in dashboard.text


def test_correction_must_change_something_and_use_valid_codes(review_client, auth):
    classify(review_client, auth, region="kota-surabaya")
    login(review_client)
    item_id = int(re.findall(r'<tr data-id="(\d+)"', review_client.get("/admin").text)[0])
    item = review_client.get(f"/v1/review/items/{item_id}", headers=auth).json()
    token = csrf_from(review_client, f"/admin/items/{item_id}")
    same = review_client.post(
        f"/admin/items/{item_id}/review",
        data={**item["predicted"], "action": "corrected", "csrf_token": token},
    )
    assert same.status_code == 422 and "tidak ada yang diubah" in same.text
    invalid = review_client.post(
        f"/v1/review/items/{item_id}",
        json={"action": "corrected", "reviewer": "api", "agency": "pemberdayaan_desa"},
        headers=auth,
    )
    assert invalid.status_code == 422 and "not a valid agency" in invalid.text


def test_review_json_api(review_client, auth):
    classify(review_client, auth, region="kab-bandung", channel="web")
    items = review_client.get("/v1/review/queue?region=kab-bandung", headers=auth).json()["items"]
    assert len(items) == 1
    assert (
        review_client.get("/v1/review/queue?region=kota-surabaya", headers=auth).json()["items"]
        == []
    )
    item_id = items[0]["id"]
    done = review_client.post(
        f"/v1/review/items/{item_id}",
        json={"action": "bukan_wewenang", "reviewer": "intake-admin"},
        headers=auth,
    ).json()
    assert done["status"] == "bukan_wewenang" and done["audit"][0]["admin"] == "intake-admin"
    # The name is the caller's word; the key that made the change is on record too.
    from salur.service.auth import key_fingerprint

    assert done["audit"][0]["via"] == f"review API, {key_fingerprint(auth['X-API-Key'])}"
    assert auth["X-API-Key"] not in str(done["audit"])
    assert (
        review_client.post(
            f"/v1/review/items/{item_id}", json={"action": "delete", "reviewer": "x"}, headers=auth
        ).status_code
        == 422
    )
    assert review_client.get("/v1/review/items/999999", headers=auth).status_code == 404
    assert review_client.get("/v1/review/queue").status_code == 401
    # A second decision on a decided item (a double submission, or another
    # reviewer who had the item open) is refused and says who decided.
    again = review_client.post(
        f"/v1/review/items/{item_id}",
        json={"action": "accepted", "reviewer": "someone-else"},
        headers=auth,
    )
    assert again.status_code == 409
    assert "already reviewed (bukan_wewenang) by intake-admin" in again.json()["detail"]
    after = review_client.get(f"/v1/review/items/{item_id}", headers=auth).json()
    assert after["status"] == "bukan_wewenang" and len(after["audit"]) == 1


def test_logout(review_client):
    login(review_client)
    token = csrf_from(review_client, "/admin")
    out = review_client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert review_client.get("/admin", follow_redirects=False).status_code == 303


def test_a_copied_session_cookie_dies_with_logout_and_with_a_new_password(review_client):
    from salur.service.security import hash_password

    def session_cookie():
        return [c.value for c in review_client.cookies.jar if c.name == "salur_admin"][-1]

    def copied_cookie_opens_admin(cookie):
        review_client.cookies.clear()
        opened = review_client.get(
            "/admin", headers={"Cookie": f"salur_admin={cookie}"}, follow_redirects=False
        )
        review_client.cookies.clear()
        review_client.cookies.set("salur_admin", cookie)
        return opened.status_code == 200

    login(review_client)
    copied = session_cookie()
    assert copied_cookie_opens_admin(copied)
    token = csrf_from(review_client, "/admin")
    review_client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False)
    assert not copied_cookie_opens_admin(copied)

    login(review_client)
    copied = session_cookie()
    review_client.app.state.store.add_admin("admin1", hash_password("baru-dan-panjang-456"))
    assert not copied_cookie_opens_admin(copied)
    assert login(review_client, password="baru-dan-panjang-456").status_code == 303


def test_a_retry_under_the_same_request_id_is_stored_once(review_client, auth):
    headers = {**auth, "X-Request-ID": "intake-42"}
    first = review_client.post("/v1/classify", json={"text": TEXT}, headers=headers)
    again = review_client.post("/v1/classify", json={"text": TEXT}, headers=headers)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json()["request_id"] == "intake-42"
    assert len(review_client.get("/v1/review/queue", headers=auth).json()["items"]) == 1


def test_a_reused_request_id_for_another_complaint_is_a_conflict(review_client, auth):
    headers = {**auth, "X-Request-ID": "intake-43"}
    assert (
        review_client.post("/v1/classify", json={"text": TEXT}, headers=headers).status_code == 200
    )
    other = review_client.post(
        "/v1/classify", json={"text": "lampu jalan mati di gang tiga"}, headers=headers
    )
    assert other.status_code == 409
    assert "new X-Request-ID" in other.json()["detail"]
    # The first complaint is untouched, and the second goes through under a fresh id.
    items = review_client.get("/v1/review/queue", headers=auth).json()["items"]
    assert [item["request_id"] for item in items] == ["intake-43"]
    fresh = review_client.post(
        "/v1/classify", json={"text": "lampu jalan mati di gang tiga"}, headers=auth
    )
    assert fresh.status_code == 200


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_nul_characters_never_block_a_complaint(make_client, auth, backend, request):
    # PostgreSQL cannot store NUL: left in, the write would fail on every retry.
    overrides = {"thresholds": {"agency": 1.01}}
    if backend == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    client = make_client(**overrides)
    answer = client.post(
        "/v1/classify",
        json={"text": "jalan rusak\x00 berlubang", "title": "jalan\x00", "region": "kab-bandung"},
        headers={**auth, "X-Request-ID": f"nul-{backend}"},
    )
    assert answer.status_code == 200, answer.text
    # The PostgreSQL database is shared by the session's tests: look this row up.
    from salur.service.storage import ComplaintRecord
    from sqlalchemy import select

    with client.app.state.store.session() as session:
        stored = session.scalars(
            select(ComplaintRecord.text_masked).where(
                ComplaintRecord.request_id == f"nul-{backend}"
            )
        ).one()
    assert stored == "jalan rusak berlubang"
    refused = client.post(
        "/v1/classify", json={"text": "jalan rusak", "external_id": "a\x00b"}, headers=auth
    )
    assert refused.status_code == 422


def test_dashboard_names_the_regions_whose_agencies_all_wait_for_review(
    make_client, save_small_model
):
    model = save_small_model(
        "regional-dashboard",
        region_thresholds={"kota-surabaya": {"agency": 0.5, "category": 0.5}},
    )
    client = make_client(model_dir=model)
    client.app.state.store.add_admin("admin1", hash_password("rahasia-sekali-123"))
    assert login(client).status_code == 303
    page = client.get("/admin/dashboard").text
    assert "Wilayah yang semua aduannya ditinjau" in page
    assert "<strong>Kabupaten Bandung</strong>: model belum dilatih" in page
    assert "tanpa wilayah bisa berasal dari daerah mana pun" in page
    assert "Kota Surabaya" not in page

    # The queue's own client sends everything to review through SALUR_THRESHOLDS.
    strict = make_client(thresholds={"agency": 1.01})
    strict.app.state.store.add_admin("admin2", hash_password("rahasia-sekali-123"))
    assert login(strict, "admin2").status_code == 303
    assert (
        "<strong>Kota Surabaya</strong>: operator mengatur" in strict.get("/admin/dashboard").text
    )
    # An operator's review-everything threshold is named as the operator's, also where
    # the model did measure the region.
    both = make_client(model_dir=model, thresholds={"agency": 1.01})
    both.app.state.store.add_admin("admin3", hash_password("rahasia-sekali-123"))
    assert login(both, "admin3").status_code == 303
    page = both.get("/admin/dashboard").text
    assert "<strong>Kota Surabaya</strong>: operator mengatur" in page
    assert "<strong>Kabupaten Bandung</strong>: model belum dilatih" in page


def test_the_queue_pages_through_every_item_and_semua_means_any_status(
    review_client, auth, monkeypatch
):
    import salur.service.admin as admin

    monkeypatch.setattr(admin, "QUEUE_PAGE_SIZE", 2)
    for n in range(5):
        classify(review_client, auth, f"{TEXT} nomor {n}", region="kota-surabaya")
    login(review_client)
    rows = re.compile(r'<tr data-id="(\d+)"')
    first = review_client.get("/admin?region=kota-surabaya")
    assert "(5)" in first.text and "halaman 1 dari 3" in first.text
    seen = rows.findall(first.text)
    page = first
    while 'rel="next"' in page.text:
        link = re.search(r'href="/admin\?([^"]+)" rel="next"', page.text).group(1)
        page = review_client.get("/admin?" + link.replace("&amp;", "&"))
        assert "region=kota-surabaya" in link
        seen += rows.findall(page.text)
    assert len(seen) == len(set(seen)) == 5

    decided = seen[0]
    review_client.post(
        f"/v1/review/items/{decided}",
        json={"action": "accepted", "reviewer": "intake-admin"},
        headers=auth,
    )
    assert "(4)" in review_client.get("/admin").text
    # The status filter's "semua" option sends an empty value: every status.
    every = review_client.get("/admin?status=&page=1")
    assert "(5)" in every.text and decided in rows.findall(every.text)
    # Past the last page: said, with a link to the last one.
    beyond = review_client.get("/admin?region=kota-surabaya&page=9")
    assert "Ke halaman terakhir" in beyond.text
    assert re.search(r'href="/admin\?[^"]*page=2"', beyond.text)


def test_reviewing_from_a_filtered_page_leads_back_to_that_page(review_client, auth, monkeypatch):
    import salur.service.admin as admin

    monkeypatch.setattr(admin, "QUEUE_PAGE_SIZE", 2)
    for n in range(3):
        classify(review_client, auth, f"{TEXT} nomor {n}", region="kota-surabaya")
    login(review_client)
    page_two = review_client.get("/admin?region=kota-surabaya&page=2")
    link = re.search(r'href="(/admin/items/\d+\?from=[^"]+)"', page_two.text).group(1)
    item = review_client.get(link.replace("&amp;", "&"))
    back = re.search(r'href="(/admin\?[^"]*)">« Kembali ke antrean', item.text).group(1)
    assert "region=kota-surabaya" in back and "page=2" in back
    carried = re.search(r'name="from" value="([^"]*)"', item.text).group(1)
    item_id = re.search(r"/admin/items/(\d+)", link).group(1)
    done = review_client.post(
        f"/admin/items/{item_id}/review",
        data={
            "action": "accepted",
            "csrf_token": csrf_from(review_client, f"/admin/items/{item_id}"),
            "from": carried.replace("&amp;", "&"),
        },
    )
    assert done.status_code == 200 and "Sudah ditinjau" in done.text
    assert re.search(r'href="/admin\?[^"]*region=kota-surabaya[^"]*">« Kembali', done.text)
    # Only the queue's own keys survive: no way to smuggle another target in.
    odd = review_client.get(f"/admin/items/{item_id}?from=next%3Dhttps%3A%2F%2Fevil.example")
    assert "evil.example" not in odd.text


def test_times_are_the_desks_and_so_are_the_working_days():
    from datetime import UTC, datetime

    from salur.service.admin import days_left, local_time

    # Thursday 18:30 UTC is already Friday 01:30 in Jakarta.
    late_thursday = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
    assert local_time(late_thursday, "Asia/Jakarta") == "2026-11-27 01:30 WIB"
    assert local_time(late_thursday, "Asia/Jayapura") == "2026-11-27 03:30 WIT"
    record = ComplaintRecord(created_at=late_thursday, deadline_working_days=5)
    monday_morning = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    # Received on Friday at the desk: five working days end on Friday 4 December,
    # not on Thursday as the UTC calendar would have it.
    assert days_left(record, "Asia/Jakarta", monday_morning) == 4
    assert days_left(record, "UTC", monday_morning) == 3


def test_an_agency_the_region_has_no_opd_for_must_be_chosen_not_accepted(review_client, auth):
    # Surabaya, a city, has no village-empowerment office; the model can still answer it.
    classify(review_client, auth, region="kota-surabaya")
    store = review_client.app.state.store
    with store.session() as session:
        record = session.get(ComplaintRecord, 1)
        record.agency = "pemberdayaan_desa"
        other_category = "infrastruktur" if record.category != "infrastruktur" else "air_bersih"
    login(review_client)
    page = review_client.get("/admin/items/1")
    # The select must not silently preselect (and post) the region's first OPD.
    agency_select = re.search(r'<select name="agency".*?</select>', page.text, re.S).group(0)
    assert re.search(r'<option value="" selected>[^<]*pemberdayaan_desa tidak ada', agency_select)
    assert agency_select.count("selected") == 1

    token = csrf_from(review_client, "/admin/items/1")
    accepted = review_client.post(
        "/admin/items/1/review", data={"action": "accepted", "csrf_token": token}
    )
    assert accepted.status_code == 422
    assert accepted.headers["content-type"].startswith("text/html")
    assert "tidak punya OPD untuk &#39;pemberdayaan_desa&#39;" in accepted.text
    assert 'href="/admin/items/1"' in accepted.text
    category_only = review_client.post(
        "/admin/items/1/review",
        data={"agency": "", "category": other_category, "action": "corrected", "csrf_token": token},
    )
    assert category_only.status_code == 422
    api_accept = review_client.post(
        "/v1/review/items/1", json={"action": "accepted", "reviewer": "api"}, headers=auth
    )
    assert api_accept.status_code == 422 and "has no OPD" in api_accept.json()["detail"]

    chosen = review_client.post(
        "/admin/items/1/review",
        data={"agency": "pupr", "action": "corrected", "csrf_token": token},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    final = review_client.get("/v1/review/items/1", headers=auth).json()["final"]
    assert final["agency"] == "pupr"


def test_admin_errors_are_pages_with_a_way_back(review_client, auth):
    login(review_client)
    missing = review_client.get("/admin/items/424242")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Tidak ditemukan" in missing.text and 'href="/admin"' in missing.text
    malformed = review_client.get("/admin/items/abc")
    assert malformed.status_code == 422 and "Permintaan tidak valid" in malformed.text
    assert malformed.headers["content-type"].startswith("text/html")
    # A page that failed to load links to the queue, not back to itself.
    zero = review_client.get("/admin/items/0")
    assert zero.status_code == 422 and 'href="/admin"' in zero.text
    assert 'href="/admin/items/0"' not in zero.text
    # The JSON API keeps answering JSON.
    api = review_client.get("/v1/review/items/424242", headers=auth)
    assert api.status_code == 404 and api.json()["detail"]


def test_accepting_with_a_changed_choice_is_refused_not_dropped(review_client, auth):
    classify(review_client, auth, region="kota-surabaya")
    login(review_client)
    item = review_client.get("/v1/review/items/1", headers=auth).json()
    other = "pohon_taman" if item["predicted"]["category"] != "pohon_taman" else "jalan_jembatan"
    token = csrf_from(review_client, "/admin/items/1")
    refused = review_client.post(
        "/admin/items/1/review",
        data={**item["predicted"], "category": other, "action": "accepted", "csrf_token": token},
    )
    assert refused.status_code == 422 and "Anda mengubah category" in refused.text
    assert review_client.get("/v1/review/items/1", headers=auth).json()["status"] == "pending"
    # Unchanged choices posted with an accept are fine: the form always posts them.
    accepted = review_client.post(
        "/admin/items/1/review",
        data={**item["predicted"], "action": "accepted", "csrf_token": token},
        follow_redirects=False,
    )
    assert accepted.status_code == 303


def test_a_corrected_report_type_brings_its_own_sp4n_deadline(review_client, auth):
    classify(review_client, auth, region="kota-surabaya")
    item = review_client.get("/v1/review/items/1", headers=auth).json()
    target = (
        "permintaan_informasi"
        if item["predicted"]["report_type"] != "permintaan_informasi"
        else "pengaduan_berkadar_pengawasan"
    )
    days = {"permintaan_informasi": 5, "pengaduan_berkadar_pengawasan": 60}[target]
    done = review_client.post(
        "/v1/review/items/1",
        json={"action": "corrected", "reviewer": "api", "report_type": target},
        headers=auth,
    ).json()
    assert done["final"]["report_type"] == target
    assert done["deadline_working_days"] == days
    assert done["working_days_left"] == days
    # "Bukan wewenang" saves no labels, so a report type sent with it moves no deadline.
    classify(review_client, auth, region="kota-surabaya")
    before = review_client.get("/v1/review/items/2", headers=auth).json()
    other = next(
        t for t in ("permintaan_informasi", "aspirasi") if t != before["predicted"]["report_type"]
    )
    outside = review_client.post(
        "/v1/review/items/2",
        json={"action": "bukan_wewenang", "reviewer": "api", "report_type": other},
        headers=auth,
    ).json()
    assert outside["status"] == "bukan_wewenang"
    assert outside["deadline_working_days"] == before["deadline_working_days"]


def test_repeated_failed_logins_must_wait(review_client):
    for _ in range(10):
        assert login(review_client, password="salah-tebak-000").status_code == 401
    locked = login(review_client)
    assert locked.status_code == 429 and "Terlalu banyak percobaan" in locked.text
    assert int(locked.headers["Retry-After"]) > 0
    assert review_client.get("/admin", follow_redirects=False).status_code == 303


def test_an_expired_session_says_the_decision_was_not_saved_and_comes_back(review_client, auth):
    from datetime import timedelta

    from salur.service.storage import AdminSession

    classify(review_client, auth, region="kota-surabaya")
    login(review_client)
    token = csrf_from(review_client, "/admin/items/1")
    store = review_client.app.state.store
    with store.session() as session:
        for row in session.query(AdminSession):
            row.created_at = row.created_at - timedelta(hours=9)
    lost = review_client.post(
        "/admin/items/1/review",
        data={"action": "accepted", "csrf_token": token},
        follow_redirects=False,
    )
    assert lost.status_code == 303 and "expired=1" in lost.headers["location"]
    page = review_client.get(lost.headers["location"])
    assert "belum disimpan" in page.text and 'value="/admin/items/1"' in page.text
    assert review_client.get("/v1/review/items/1", headers=auth).json()["status"] == "pending"
    back = login(review_client, next="/admin/items/1")
    assert back.headers["location"] == "/admin/items/1"
    # Only this site's admin pages are a place to come back to.
    assert login(review_client, next="https://evil.example/").headers["location"] == "/admin"


def test_a_region_in_another_zone_shows_its_own_time(make_client, auth, tmp_path):
    import shutil

    from salur.service.settings import Settings

    regions = tmp_path / "regions"
    shutil.copytree(Settings().regions_dir, regions)
    (regions / "kab-jayapura.yaml").write_text(
        "code: kab-jayapura\nname: Kabupaten Jayapura\ntimezone: Asia/Jayapura\n"
        "opds: {pupr: Dinas PUPR Kab. Jayapura}\n",
        encoding="utf-8",
    )
    client = make_client(thresholds={"agency": 1.01}, regions_dir=regions)
    client.app.state.store.add_admin("admin1", hash_password("rahasia-sekali-123"))
    papua = classify(client, auth, region="kab-jayapura")
    java = classify(client, auth, region="kota-surabaya")
    login(client)
    queue = client.get("/admin").text
    assert " WIT</td>" in queue and " WIB</td>" in queue
    items = {
        row["request_id"]: row["id"]
        for row in client.get("/v1/review/queue", headers=auth).json()["items"]
    }
    assert " WIT" in client.get(f"/admin/items/{items[papua['request_id']]}").text
    assert " WIB" in client.get(f"/admin/items/{items[java['request_id']]}").text
    (regions / "kab-jayapura.yaml").write_text(
        "code: kab-jayapura\nname: Jayapura\ntimezone: Asia/Papua\nopds: {}\n", encoding="utf-8"
    )
    from salur.model.regions import RegionError, load_regions
    from salur.model.taxonomy import load_taxonomy

    with pytest.raises(RegionError, match="unknown timezone 'Asia/Papua'"):
        load_regions(regions, load_taxonomy())


def test_the_queue_stays_open_to_review_while_the_model_fails_to_load(
    review_client, make_client, auth, tmp_path
):
    classify(review_client, auth, region="kota-surabaya")
    # The same database, served by a start whose model folder is gone.
    broken = make_client(model_dir=tmp_path / "no-model")
    assert broken.get("/readyz").status_code == 503
    assert broken.post("/v1/classify", json={"text": TEXT}, headers=auth).status_code == 503
    queue = broken.get("/v1/review/queue", headers=auth)
    assert queue.status_code == 200 and len(queue.json()["items"]) == 1
    item = broken.get("/v1/review/items/1", headers=auth).json()
    assert item["working_days_left"] is not None
    done = broken.post(
        "/v1/review/items/1", json={"action": "accepted", "reviewer": "api"}, headers=auth
    )
    assert done.status_code == 200 and done.json()["status"] == "accepted"
    broken.app.state.store.add_admin("admin1", hash_password("rahasia-sekali-123"))
    assert login(broken).status_code == 303
    for page in ("/admin", "/admin/items/1", "/admin/dashboard"):
        assert broken.get(page).status_code == 200, page
    assert "Model tidak termuat" in broken.get("/admin/dashboard").text
