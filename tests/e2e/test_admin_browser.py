"""A real admin in a real browser: Debian's Chromium driven by Playwright.

The server runs as `salur serve` on 127.0.0.1 with its own SQLite database;
an admin logs in, filters the queue, corrects an item, and the correction
shows up in `salur export-corrections`.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pandas as pd
import pytest
from salur.service.launch import start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium not installed (apt-get install chromium)", allow_module_level=True)

KEY = "e2e-key"
PASSWORD = "kata-sandi-admin-e2e"
COMPLAINTS = [
    ("kota-surabaya", "web", "Jalan berlubang di depan SD, pengendara motor sering jatuh"),
    ("kab-bandung", "sms", "Lampu PJU di jalan raya Soreang mati sudah seminggu, gelap sekali"),
    ("kab-bandung", "app", "Sampah menumpuk di TPS pasar sudah lima hari tidak diangkut, bau"),
    ("kota-surabaya", "app", "Mohon info syarat mengurus akta kelahiran anak"),
]


@pytest.fixture
def server(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/e2e.db",
        "SALUR_API_KEYS": KEY,
        # Category too: a region's category override routes on the category's confidence.
        "SALUR_THRESHOLDS": '{"agency": 1.01, "category": 1.01}',
        "SALUR_SESSION_SECRET": "e2e-session-secret-not-for-production",
        "SALUR_ADMIN_PASSWORD": PASSWORD,
    }
    full_env = {**os.environ, **env}
    subprocess.run(
        [sys.executable, "-m", "salur.cli", "create-admin", "siti"],
        env=full_env,
        check=True,
        timeout=120,
    )
    running = start_server(env, cwd=tmp_path)
    for region, channel, text in COMPLAINTS:
        response = httpx.post(
            f"{running.base_url}/v1/classify",
            json={"text": text, "region": region, "channel": channel},
            headers={"X-API-Key": KEY},
        )
        assert response.json()["decision"]["outcome"] == "needs_review"
    yield running.base_url, full_env
    running.stop()


def test_admin_filters_corrects_and_exports(server, tmp_path):
    base, env = server
    screenshot = os.environ.get("SALUR_SCREENSHOT")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        # The page's own CSP must not block anything it ships (an inline style did).
        refused = []
        page.on("console", lambda message: refused.append(message.text))
        page.goto(f"{base}/admin")
        assert page.url.endswith("/admin/login")
        page.fill("input[name=username]", "siti")
        page.fill("input[name=password]", "salah-sandi-sekali")
        page.click("button[type=submit]")
        assert "salah" in page.inner_text("[role=alert]")
        page.fill("input[name=username]", "siti")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/admin")
        assert page.locator("tr[data-id]").count() == 4
        if screenshot:
            page.screenshot(path=screenshot, full_page=True)

        page.select_option("#filter-region", "kab-bandung")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**region=kab-bandung**")
        rows = page.locator("tr[data-id]")
        assert rows.count() == 2
        lamp = page.locator("tr[data-id]", has_text="Lampu PJU")
        lamp.locator("a").click()
        page.wait_for_url("**/admin/items/**")
        item_id = page.url.split("/admin/items/", 1)[1].split("?", 1)[0]
        current = page.eval_on_selector("#correct-agency", "el => el.value")
        target = "perhubungan" if current != "perhubungan" else "pupr"
        page.select_option("#correct-agency", target)
        page.click("button[value=corrected]")
        page.wait_for_url(f"**/admin/items/{item_id}?from=**")
        assert "Sudah ditinjau oleh siti" in page.inner_text("main")
        assert f"agency: {current} → {target}" in page.inner_text("main")

        # Back to the queue as it was filtered.
        page.click("text=« Kembali ke antrean")
        page.wait_for_url("**region=kab-bandung**")
        assert page.locator("tr[data-id]").count() == 1

        # "Bukan wewenang" asks first; dismissing saves nothing.
        page.locator("tr[data-id] a").first.click()
        page.wait_for_url("**/admin/items/**")
        questions = []

        def answer(dialog, accept):
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        page.once("dialog", lambda dialog: answer(dialog, False))
        page.click("button[value=bukan_wewenang]")
        assert questions and "bukan wewenang" in questions[0]
        assert "Sudah ditinjau" not in page.inner_text("main")
        page.once("dialog", lambda dialog: answer(dialog, True))
        page.click("button[value=bukan_wewenang]")
        page.wait_for_selector("text=Sudah ditinjau oleh siti")

        page.goto(f"{base}/admin/dashboard")
        assert page.locator("p.big").count() == 4
        assert (
            float(page.eval_on_selector("p.big", "el => parseFloat(getComputedStyle(el).fontSize)"))
            > 20
        )
        assert not [text for text in refused if "Content Security Policy" in text], refused
        browser.close()

    out = tmp_path / "export.csv"
    subprocess.run(
        [sys.executable, "-m", "salur.cli", "export-corrections", "--output", str(out)],
        env=env,
        check=True,
        timeout=120,
        cwd=tmp_path,
    )
    exported = pd.read_csv(out, dtype=str, keep_default_na=False)
    # The bukan-wewenang item teaches no label, so only the correction is exported.
    assert len(exported) == 1
    assert exported.loc[0, "agency"] == target and exported.loc[0, "region"] == "kab-bandung"
    assert "Lampu PJU" in exported.loc[0, "text"]
