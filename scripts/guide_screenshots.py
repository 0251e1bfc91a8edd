"""Phone screenshots for the Russian guides (docs/guides/img/): `make screenshots`.

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
"""

from __future__ import annotations

import argparse
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

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "guides" / "img"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-ezh-2026"
WIDTH, HEIGHT = 390, 844
SCALE = 2  # a phone's pixel density: the text stays sharp when the guide is zoomed
MAX_KB = 150


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


def save(png: bytes, name: str) -> None:
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
    print(f"  {name}: {kb:.0f} КБ" + (f"  (больше {MAX_KB} КБ)" if kb > MAX_KB else ""))


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

    def sign_in(self, login: str) -> Page:
        if self.context is not None:
            self.context.close()
        self.context = self.browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=SCALE, is_mobile=True,
            has_touch=True, locale="ru-RU", timezone_id="Europe/Moscow")
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

    def shot(self, name: str, top: str | None = None, bottom: str | None = None, height: int = HEIGHT) -> None:
        """The page from ``top``'s element (else from the page's top) down ``height`` pixels,
        or down to the end of ``bottom``'s element if that is nearer."""
        page = self.page
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
        save(page.screenshot(full_page=True, clip={"x": 0, "y": y, "width": WIDTH, "height": end - y}), name)

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


def main() -> int:
    parser = argparse.ArgumentParser(description="Снимки экрана телефона для руководств (docs/guides/img/)")
    parser.add_argument("--size", choices=("S", "M"), default="M", help="размер демо-школы (M: у родителя трое детей)")
    parser.add_argument("--port", type=int, help="порт демо-школы (по умолчанию — свободный из 8100–8199)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"Нет {CHROMIUM}: apt install chromium")
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
                    for who in (class_teacher, parent, student):
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
