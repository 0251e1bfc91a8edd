"""The journal grid in a real browser under the page's own Content-Security-Policy
(R-JOURNAL-2, R-GRADE-1): the demo teacher opens one of their journals from «Журналы», types
grades with the keyboard alone (arrows, digits, Enter), sees them saved and still there after a
reload, and types «6» to see the Russian refusal with the typed text kept for fixing."""

from __future__ import annotations

import pytest

from service.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

# The column of the latest lesson that has taken place, within the days it is freely editable
# (no reason asked), where the first two pupils both have an editable cell; and how many
# ArrowRight presses bring the cursor there from the first editable cell of the first row.
_TARGET = """() => {
  const table = document.getElementById('journal-grid');
  const rows = table.tBodies[0].rows;
  const days = table.tHead.rows[1].cells;
  const today = new Date(); today.setHours(0, 0, 0, 0);
  for (let c = rows[0].cells.length - 1; c >= 0; c--) {
    const a = rows[0].cells[c], b = rows[1] && rows[1].cells[c];
    if (!a || !b || !a.hasAttribute('data-l') || !b.hasAttribute('data-l')) continue;
    const link = days[c - 2] && days[c - 2].querySelector('a');
    if (!link) continue;
    const [d, m, y] = link.title.split(',')[0].split('.').map(Number);
    if ((today - new Date(y, m - 1, d)) / 86400000 > 5) continue;
    const editable = Array.from(rows[0].cells).filter(x => x.hasAttribute('data-l'));
    return {col: c, presses: editable.indexOf(a), first: a.dataset.v, second: b.dataset.v,
            lesson: a.dataset.l};
  }
  return null;
}"""


def _other(value: str, digit: str) -> str:
    return digit if value != digit else str(int(digit) - 1)


def test_a_teacher_types_grades_with_the_keyboard(live_server, page):
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/login")
    page.get_by_label("Логин").fill("uchitel")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/home")
    page.goto(live_server + "/journal")
    page.get_by_role("heading", name="Мои журналы").wait_for()
    page.locator(".j-section").first.locator("a").first.click()
    page.locator("#journal-grid").wait_for()
    url = page.url
    target = page.evaluate(_TARGET)
    assert target, "no lesson of the last days with two editable cells in the teacher's journal"
    first, second = _other(target["first"], "5"), _other(target["second"], "4")

    for _ in range(target["presses"]):
        page.keyboard.press("ArrowRight")
    cursor = page.locator("#journal-grid td.cursor")
    assert cursor.get_attribute("data-l") == target["lesson"]
    page.keyboard.type(first)
    page.keyboard.press("Enter")  # saves and goes down
    page.keyboard.type(second)
    page.keyboard.press("Enter")
    rows = page.locator("#journal-grid tbody tr")
    cell_a = rows.nth(0).locator("td").nth(target["col"] - 1)
    cell_b = rows.nth(1).locator("td").nth(target["col"] - 1)
    page.wait_for_function("([a, b]) => { const r = document.getElementById('journal-grid').tBodies[0].rows;"
                           f" return r[0].cells[{target['col']}].dataset.v === a"
                           f" && r[1].cells[{target['col']}].dataset.v === b; }}", arg=[first, second])
    assert "Сохранено" in page.locator("#journal-status").inner_text()

    page.goto(url)
    page.locator("#journal-grid").wait_for()
    assert cell_a.get_attribute("data-v") == first and cell_a.inner_text().strip() == first
    assert cell_b.get_attribute("data-v") == second

    for _ in range(target["presses"]):  # the cursor starts on the first cell again
        page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.type("6")
    page.keyboard.press("Enter")
    status = page.locator("#journal-status")
    status.locator("text=не отметка").wait_for()
    assert "допустимы целые числа от 1 до 5" in status.inner_text()
    editor = page.locator("#journal-grid td.editing input")
    assert editor.input_value() == "6"  # kept for fixing
    page.keyboard.press("Escape")
    page.goto(url)
    assert cell_b.get_attribute("data-v") == second  # nothing written
    assert [p for p in problems if "400" not in p] == [], problems
