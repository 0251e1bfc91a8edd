"""R-ORG-4 in a real browser: the class teacher prints the invitation sheet, a parent types a
code from it, registers, signs in and sees their child — and only their child."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from service.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


def _sign_in(page, base, login, password):
    page.goto(base + "/login")
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/home")


def test_sheet_code_registers_a_parent(live_server, browser):
    teacher = browser.new_context(locale="ru-RU").new_page()
    _sign_in(teacher, live_server, "klruk", DEMO_PASSWORD)
    teacher.locator("a.card").first.click()
    teacher.get_by_label("Родителям без учётной записи").check()
    with teacher.expect_download() as download:
        teacher.get_by_role("button", name="Выпустить коды приглашения (PDF)").click()
    pdf = download.value.path().read_bytes()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    # first slip: «<parent> родитель; ребёнок: <child>, 5А класс … XXXX-XXXX-XXXX»
    match = re.search(r"([А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+) .*?родитель; ребёнок: "
                      r"([А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+).*?([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text)
    assert match, text[:400]
    parent_name, child_name, code = match.groups()
    teacher.context.close()

    parent = browser.new_context(locale="ru-RU").new_page()
    parent.goto(live_server + "/login")
    parent.get_by_role("link", name="Зарегистрироваться по коду приглашения").click()
    parent.get_by_label("Код").fill(code.lower().replace("-", " "))  # typed sloppily from paper
    parent.get_by_role("button", name="Продолжить").click()
    assert parent.get_by_text(parent_name.split()[0], exact=False).first.is_visible()
    parent.get_by_label("Придумайте логин").fill("parent.e2e")
    parent.get_by_label("Придумайте пароль").fill("Весенний-сад-2026")
    parent.get_by_label("Повторите пароль").fill("Весенний-сад-2026")
    parent.get_by_role("button", name="Создать учётную запись").click()
    assert parent.get_by_text("создана", exact=False).first.is_visible()
    _sign_in(parent, live_server, "parent.e2e", "Весенний-сад-2026")
    assert parent.locator("h1").first.inner_text().startswith("Родитель")
    parent.get_by_role("link", name=re.compile(child_name.split()[0])).first.click()
    assert child_name.split()[1] in parent.locator("h1").first.inner_text()
    parent.context.close()
