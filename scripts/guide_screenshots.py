"""Screenshots for the Russian guides (docs/guides/img/): `make screenshots`.

Starts the demo school in a temporary folder on a free port (8100–8199), signs in as the demo
parent, pupil and class teacher, and photographs their pages in Debian's chromium through
Playwright at a phone's viewport (390×844), under stable names that the guides link to. A tool
for the docs, not a test: it fails loudly when a page it needs is missing, and it stops the
server whatever happens.

The demo school is size M by default: in S there is one class, so the demo parent has one
child and the diary shows no children's tabs. The school's mail is switched on (nothing is
sent: no digest runs), so that the digest page looks as in a school that uses it. The class
teacher answers the parent's waiting message first, so that the parent's pages show the menu's
unread count. Forms are filled in, never sent, except that answer.

Then the reports (docs/reports.md) on a computer's screen, 1280 px wide: the whole «Отчёты» of
the class teacher and of the deputy head, and one page of each report down to the first rows of
its first table. The finished previous year has final marks but no lessons, so the summary sheet
(the class teacher's class of that year) and the school's performance are of that year; the
rest are of this year, where the lessons are: attendance, substitutions and monitoring of this
month, completion and the class summary (first quarter) of the class teacher's class, the
authority's statistics of the previous, finished ISO week. Also the first page of the summary
sheet's PDF, through poppler's pdftoppm. `--only reports` takes these alone, `--only phone` the
phone's.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "guides" / "img"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-ezh-2026"
WIDTH, HEIGHT = 390, 844
SCALE = 2  # a phone's pixel density: the text stays sharp when the guide is zoomed
MAX_KB = 150
DESKTOP_WIDTH, DESKTOP_HEIGHT = 1280, 800  # a school office's screen: the reports are read there
DESKTOP_MAX_KB = 200
PDFTOPPM = "/usr/bin/pdftoppm"


def free_port() -> int:
    for port in range(8100, 8200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    sys.exit("Нет свободного порта между 8100 и 8199")


def start_demo(tmp: Path, size: str, port: int, log) -> subprocess.Popen:
    env = {**os.environ, "EZH_CONFIG": "/dev/null", "EZH_DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
           "EZH_VAR_DIR": str(tmp / "var"), "EZH_MAIL_ENABLED": "1", "EZH_MAIL_HOST": "mail.school.local"}
    # a session of its own: stopping it stops uvicorn's workers too, and nothing else
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "ezh"), "demo", "--size", size, "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_up(server: subprocess.Popen, base: str, tmp: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("Демо-школа не запустилась:\n" + (tmp / "demo.log").read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(base + "/login", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    sys.exit(f"Демо-школа не ответила за {timeout:.0f} с")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def save(png: bytes, name: str, max_kb: int = MAX_KB) -> None:
    """Write the PNG, reduced to a palette of 256 colours (flat pages lose nothing visible and
    the file shrinks several times) when Pillow is there."""
    target = OUT / name
    try:
        from PIL import Image
    except ImportError:
        target.write_bytes(png)
    else:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        image.save(target, optimize=True)
    kb = target.stat().st_size / 1024
    print(f"  {name}: {kb:.0f} КБ" + (f"  (больше {max_kb} КБ)" if kb > max_kb else ""))


PICKER_JS = """(select) => {
  const sheet = document.createElement('div');
  sheet.id = 'ezh-picker';
  sheet.style.cssText = 'position:fixed;inset:0;z-index:1000;background:rgba(0,0,0,.45);display:flex;' +
    'align-items:center;justify-content:center';
  const panel = document.createElement('div');
  panel.style.cssText = 'background:#fff;color:#1d2125;border-radius:14px;width:90%;max-height:88%;' +
    'overflow:hidden;padding:6px 0;box-shadow:0 10px 30px rgba(0,0,0,.35);font-size:15px;line-height:1.3';
  const add = (text, header, chosen) => {
    const row = document.createElement('div');
    row.style.cssText = header ? 'padding:10px 16px 4px;font-weight:700;color:#5a6370;font-size:13px' :
      'padding:9px 16px;display:flex;gap:12px;align-items:center;border-top:1px solid #eef0f2';
    if (!header) {
      const dot = document.createElement('span');
      dot.style.cssText = 'flex:none;width:16px;height:16px;border-radius:50%;box-sizing:border-box;' +
        (chosen ? 'border:5px solid #1b5e9b' : 'border:2px solid #8a939c');
      row.append(dot);
    }
    const label = document.createElement('span');
    label.textContent = text;
    row.append(label);
    panel.append(row);
  };
  for (const node of select.children) {
    if (node.tagName === 'OPTGROUP') {
      add(node.label, true, false);
      for (const o of node.children) add(o.textContent, false, o.selected);
    } else {
      add(node.textContent, false, node.selected);
    }
  }
  sheet.append(panel);
  document.body.append(sheet);
}"""


class Shooter:
    def __init__(self, browser, base: str) -> None:
        self.browser, self.base = browser, base
        self.context = None
        self.page: Page | None = None

    def sign_in(self, login: str, desktop: bool = False) -> Page:
        """A new browser as ``login``: a phone's, or a computer's (``desktop``)."""
        if self.context is not None:
            self.context.close()
        screen = ({"viewport": {"width": DESKTOP_WIDTH, "height": DESKTOP_HEIGHT}, "device_scale_factor": 1}
                  if desktop else {"viewport": {"width": WIDTH, "height": HEIGHT}, "device_scale_factor": SCALE,
                                   "is_mobile": True, "has_touch": True})
        self.context = self.browser.new_context(**screen, locale="ru-RU", timezone_id="Europe/Moscow")
        page = self.page = self.context.new_page()
        page.goto(self.base + "/login")
        page.fill("#f-login", login)
        page.fill("#f-password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        if "/login" in page.url:
            sys.exit(f"Не удалось войти как {login}")
        return page

    def open(self, path: str) -> Page:
        page = self.page
        response = page.goto(self.base + path)
        page.wait_for_load_state("networkidle")  # the menu's unread count comes after the page
        if response is None or response.status != 200:
            sys.exit(f"{path}: ответ {response.status if response else 'нет'}")
        return page

    def shot(self, name: str, top: str | None = None, bottom: str | None = None, height: int | None = None) -> None:
        """The page from ``top``'s element (else from the page's top) down ``height`` pixels (a
        screenful), or down to the end of ``bottom``'s element if that is nearer."""
        page = self.page
        width, height = page.viewport_size["width"], height or page.viewport_size["height"]
        page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring
        y = 0.0
        if top:
            box = page.locator(top).first.bounding_box()
            if box is None:
                sys.exit(f"{name}: на странице нет {top}")
            y = max(0.0, box["y"] + page.evaluate("window.scrollY") - 8)
        page_height = page.evaluate("document.documentElement.scrollHeight")
        end = min(y + height, page_height)
        if bottom:
            box = page.locator(bottom).first.bounding_box()
            if box is not None:
                end = min(end, box["y"] + page.evaluate("window.scrollY") + box["height"] + 12)
        save(page.screenshot(full_page=True, clip={"x": 0, "y": y, "width": width, "height": end - y}), name,
             DESKTOP_MAX_KB if width > WIDTH else MAX_KB)

    def picker(self, name: str, selector: str) -> None:
        """The drop-down ``selector`` as a phone shows it when tapped — its options, grouped, in a
        list on top of the page — drawn by the page itself: a screenshot does not catch the
        browser's own list. The texts are the page's options, nothing more."""
        page = self.page
        page.locator(selector).scroll_into_view_if_needed()
        page.eval_on_selector(selector, PICKER_JS)
        save(page.screenshot(), name)
        page.evaluate("document.getElementById('ezh-picker').remove()")

    def links(self, selector: str) -> list[str]:
        return [a.get_attribute("href") for a in self.page.query_selector_all(selector)]


def class_teacher(s: Shooter) -> None:
    page = s.sign_in("klruk")
    s.open("/acknowledgements")
    s.shot("class-teacher-acknowledgements.png", top="main h1")

    s.open("/messages/new")
    classes = [v for v in (o.get_attribute("value") for o in page.query_selector_all("#q-class option")) if v]
    if not classes:
        sys.exit("У классного руководителя нет класса в списке «Ученики и родители класса»")
    s.open(f"/messages/new?class={classes[0]}")
    if not page.query_selector("#f-to option[value^='class:']"):
        sys.exit("Нет строки «Всем родителям … (каждому отдельно)»")
    page.select_option("#f-to", value=page.get_attribute("#f-to option[value^='class:']", "value"))
    page.fill("#f-subject", "Родительское собрание")
    page.fill("#f-body", "Уважаемые родители! Собрание — в четверг в 18:30 в кабинете класса. Повестка: "
                         "итоги четверти, экскурсия.")
    s.shot("class-teacher-new-message.png", top="main .breadcrumbs")
    s.picker("class-teacher-recipients.png", "#f-to")

    s.open("/messages")
    s.shot("class-teacher-messages.png", top="main h1")
    waiting = page.locator("li.m-thread.m-new a").first
    if waiting.count():  # the parent's unread message: answer it, so the parent has one unread
        waiting.click()
        page.wait_for_load_state("networkidle")
        page.fill("#f-body", "Здравствуйте! Спасибо, справку ждём. Задания за пропущенные дни — в дневнике.")
        page.click("#reply button[type=submit]")
        page.wait_for_load_state("networkidle")


def parent(s: Shooter) -> None:
    page = s.sign_in("roditel")
    s.open("/diary")
    s.shot("parent-week.png")
    if page.query_selector(".d-tabs"):
        s.shot("parent-children-tabs.png", top="main .page-head", bottom="main .d-sections")
    else:
        print("  у демо-родителя один ребёнок: parent-children-tabs.png не снят (запустите с --size M)")
    child = page.url.rstrip("/").rsplit("/", 1)[-1]

    s.open(f"/diary/{child}/finals")
    s.shot("parent-finals.png", top="main .page-head")
    subjects = s.links("main a[href*='/subject/']")
    if not subjects:
        sys.exit("В «Оценки и итоги» нет ссылок на страницы предметов")
    s.open(subjects[0])
    s.shot("parent-subject.png", top="main .page-head")

    s.open("/diary/digest")
    page.fill("#f-address", "roditel@example.ru")
    page.check("input[name=enabled]")
    page.click("form[action='/diary/digest'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "saved=1" not in page.url:
        sys.exit("Сводка на почту не сохранилась")
    s.shot("parent-digest.png", top="main .page-head")

    s.open("/messages")
    s.shot("parent-messages.png")
    # a thread of the parent's own with a read and answered message: «Прочитано … · ответ … (через …)»
    thread = None
    for href in s.links("li.m-thread:not(.m-new) a"):
        s.open(href)
        if page.locator(".m-mine .m-status", has_text="через").count():
            thread = href
            break
    if thread is None:
        sys.exit("У демо-родителя нет переписки с отвеченным сообщением")
    s.shot("parent-thread.png", top="main .page-head")

    s.open("/messages/new")
    s.picker("parent-recipients.png", "#f-to")
    teacher = page.locator("#f-to option", has_text="Классный руководитель").first
    page.select_option("#f-to", value=teacher.get_attribute("value"))
    page.fill("#f-subject", "Экскурсия")
    page.fill("#f-body", "Добрый день! До какого числа нужно сдать согласие на экскурсию?")
    s.shot("parent-new-message.png", top="main .breadcrumbs")


def student(s: Shooter) -> None:
    s.sign_in("uchenik")
    s.open("/diary")
    s.shot("student-week.png")
    s.open("/messages")
    s.shot("student-messages.png")
    s.open("/messages/new")
    s.picker("student-recipients.png", "#f-to")


def report_shot(s: Shooter, name: str, path: str) -> None:
    """A report's page on a computer's screen: from the top of the page down to the first rows of
    its first table (the title, the download links and the charts above it) — a screenful or
    more, when the charts push the table down."""
    page = s.open(path)
    if not page.query_selector("main .report-formats"):
        sys.exit(f"{path}: нет ссылок «Скачать»")
    height = DESKTOP_HEIGHT
    table = page.locator("main table").first
    if table.count():
        box = table.bounding_box()
        height = max(height, min(int(box["y"] + page.evaluate("window.scrollY")) + 300, 1500))
    s.shot(name, height=height)


def pdf_page(s: Shooter, name: str, path: str) -> None:
    """The first page of a report's PDF as a picture (poppler's pdftoppm, 100 dpi)."""
    response = s.page.request.get(s.base + path)
    if response.status != 200 or not response.body().startswith(b"%PDF"):
        sys.exit(f"{path}: не PDF (ответ {response.status})")
    with tempfile.TemporaryDirectory(prefix="ezh-pdf-") as folder:
        pdf = Path(folder) / "report.pdf"
        pdf.write_bytes(response.body())
        subprocess.run([PDFTOPPM, "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(Path(folder) / "page")], check=True)
        save((Path(folder) / "page.png").read_bytes(), name, DESKTOP_MAX_KB)


def reports(s: Shooter) -> None:
    """The reports on a computer's screen (docs/reports.md): the class teacher's «Отчёты», then
    the deputy head's and a page of each report."""
    page = s.sign_in("klruk", desktop=True)
    s.open("/reports")
    s.shot("reports-class-teacher.png", height=4000)  # the whole page: which reports a class teacher has
    years = [o.get_attribute("value") for o in page.query_selector_all("#q-year option:not([selected])")]
    if not years:
        sys.exit("В «Отчётах» нет прошлого учебного года (демо-школа без прошлого года?)")
    last_year = years[0]  # the demo has two years: this one and the finished previous one
    s.open(f"/reports?year={last_year}")
    own = page.query_selector("#s-class option")
    if own is None:
        sys.exit("У классного руководителя не было класса в прошлом году")
    last_class = own.get_attribute("value")  # the class teacher's class of the previous year
    s.open("/reports")
    this_class = page.get_attribute("#s-class option", "value")  # and of this year
    first = [o.get_attribute("value") for o in page.query_selector_all("#cs-period option")
             if o.text_content().startswith("1 ")]  # the first quarter (or term) of the class's grade
    if not first:
        sys.exit("В «Итогах класса» нет первого периода")

    page = s.sign_in("zavuch", desktop=True)
    s.open("/reports")
    s.shot("reports-index.png", height=4000)
    today = datetime.datetime.now(ZoneInfo("Europe/Moscow")).date()
    month = today.strftime("%Y-%m")
    last_week = (today - datetime.timedelta(days=7)).isocalendar()  # a finished week: all its days
    week = f"{last_week.year}-W{last_week.week:02d}"
    last = f"year={last_year}&class={last_class}"
    report_shot(s, "reports-summary-sheet.png", f"/reports/summary-sheet?{last}")
    pdf_page(s, "reports-summary-sheet-pdf.png", f"/reports/summary-sheet?{last}&format=pdf")
    report_shot(s, "reports-performance.png", f"/reports/performance?year={last_year}&period=year")
    report_shot(s, "reports-attendance.png", f"/reports/attendance?month={month}")
    report_shot(s, "reports-completion.png", f"/reports/completion?class={this_class}")
    # this year's first period: the previous year has final marks but no lessons, so no attendance
    report_shot(s, "reports-class-summary.png", f"/reports/class-summary?class={this_class}&period={first[0]}")
    report_shot(s, "reports-substitutions.png", f"/reports/substitutions?month={month}")
    report_shot(s, "reports-monitoring.png", f"/reports/monitoring?month={month}")
    report_shot(s, "reports-authority.png", f"/reports/authority?week={week}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Снимки экрана для руководств и отчётов (docs/guides/img/)")
    parser.add_argument("--size", choices=("S", "M"), default="M", help="размер демо-школы (M: у родителя трое детей)")
    parser.add_argument("--port", type=int, help="порт демо-школы (по умолчанию — свободный из 8100–8199)")
    parser.add_argument("--only", choices=("phone", "reports"),
                        help="только снимки телефона (руководства) или только отчёты (docs/reports.md)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"Нет {CHROMIUM}: apt install chromium")
    if args.only != "phone" and not Path(PDFTOPPM).exists():
        sys.exit(f"Нет {PDFTOPPM}: apt install poppler-utils")
    shooters = {None: (class_teacher, parent, student, reports), "phone": (class_teacher, parent, student),
                "reports": (reports,)}[args.only]
    OUT.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ezh-screenshots-") as folder:
        tmp = Path(folder)
        print(f"Демо-школа {args.size} на {base} …")
        with open(tmp / "demo.log", "wb") as log:
            server = start_demo(tmp, args.size, port, log)
        try:
            wait_until_up(server, base, tmp)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--lang=ru"])
                try:
                    s = Shooter(browser, base)
                    for who in shooters:
                        print(who.__name__ + ":")
                        who(s)
                finally:
                    browser.close()
        finally:
            stop(server)
    print(f"Готово: {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
