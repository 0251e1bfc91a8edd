"""The archive's journey in a real browser (issue 12 items 6 and 9, issue 15 item 1): the deputy
head seals the finished year with the button; the archivist downloads the package and its
passport and re-checks the package; anyone uploads the passport to the verification page and
is told it is genuine; the downloaded tar verifies with `verify.sh` and nothing but sh,
coreutils and openssl."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile

import pytest

from service.demo import DEMO_PASSWORD
from tests.e2e.conftest import LIVE, ROOT

pytestmark = pytest.mark.e2e


def _sign_in(page, url: str, login: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/home")


def test_the_deputy_seals_the_year_and_the_archivist_takes_and_checks_it(live_server, browser, tmp_path):
    var = LIVE["database"].parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
    env.update({"EZH_CONFIG": os.devnull, "EZH_VAR_DIR": str(var), "EZH_DATABASE_URL": f"sqlite:///{LIVE['database']}"})
    keys = subprocess.run([sys.executable, "-m", "service.cli", "keys", "init"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert keys.returncode == 0 or "уже" in keys.stderr, keys.stderr

    deputy = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(deputy, live_server, "zavuch")
    deputy.goto(live_server + "/archive#years")
    deputy.locator("#s-year").select_option(label="2025/2026")
    # the answer comes once the year is sealed and checked, or — when that takes longer than the
    # request waits (a big school, a busy server) — the page follows the work until it is done
    deputy.get_by_role("button", name="Запечатать год").click(timeout=240_000)
    deputy.get_by_text("ezh-2025-2026-v1 запечатан и проверен").first.wait_for(timeout=240_000)
    deputy.context.close()

    archivist = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900},
                                    accept_downloads=True).new_page()
    _sign_in(archivist, live_server, "arhivist")
    archivist.goto(live_server + "/archive#years")
    assert archivist.get_by_role("button", name="Запечатать год").count() == 0
    row = archivist.locator("#years tbody tr").first
    assert "ezh-2025-2026-v1" in row.inner_text()
    with archivist.expect_download() as got:
        row.get_by_role("link", name="паспорт (PDF)").click()
    passport = tmp_path / got.value.suggested_filename
    got.value.save_as(passport)
    with archivist.expect_download() as got:
        row.get_by_role("link", name="tar").click()
    tar = tmp_path / got.value.suggested_filename
    got.value.save_as(tar)
    archivist.locator("#years tbody tr").first.get_by_role("button", name="Проверить сейчас").click()
    archivist.locator("#years p[role=status]").wait_for()
    assert "цел" in archivist.locator("#years tbody tr").first.inner_text()
    archivist.context.close()

    anyone = browser.new_context(locale="ru-RU").new_page()
    anyone.goto(live_server + "/verify")
    anyone.locator("input[type=file]").set_input_files(str(passport))
    anyone.get_by_role("button", name="Проверить файл").click()
    anyone.locator("#result").wait_for()
    assert "Документ подлинный" in anyone.locator("#result").inner_text()
    anyone.context.close()

    with tarfile.open(tar) as t:
        t.extractall(tmp_path / "unpacked", filter="data")
    bare = subprocess.run(["sh", "verify.sh"], cwd=tmp_path / "unpacked" / "ezh-2025-2026-v1",
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert bare.returncode == 0 and "ИТОГ: пакет цел" in bare.stdout, bare.stdout + bare.stderr
