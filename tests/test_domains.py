"""A domain declares itself once (service/*/domain.py) and the shared code collects it: the
app's routes, the rights table, the menu, the audit log's Russian action names, the Piccolo
apps. These tests fail when code uses a right or an audit action nobody declared, and show
that a new domain plugs in without touching a shared file."""

from __future__ import annotations

import ast
import re
import sys
import textwrap
from pathlib import Path

import pytest

import service
from service import domains
from service.accounts.tables import Permission, RolePermission
from service.accounts.viewer import Viewer
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent


def _sources() -> list[Path]:
    return [*ROOT.joinpath("service").rglob("*.py"), *ROOT.joinpath("templates").rglob("*.html")]


def test_every_right_the_code_checks_is_declared_once():
    used = set()
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""(?:can|requires)\(\s*["']([a-z_]+\.[a-z_]+)["']""", text))
        for call in re.findall(r"requires\(([^)]*)\)", text):
            used |= set(re.findall(r"""["']([a-z_]+\.[a-z_]+)["']""", call))
    declared = domains.right_codes()
    assert used, "the scan found no rights: the pattern is wrong"
    assert used - declared == set()
    assert len(declared) == len(domains.rights())


def test_every_audit_action_written_has_a_russian_name():
    written = set()
    for path in ROOT.joinpath("service").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record"
                    and len(node.args) > 1):
                written |= {c.value for c in ast.walk(node.args[1])
                            if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    names = domains.action_names()
    assert {"accounts.login", "accounts.user_blocked", "school.demo_generated"} <= written
    assert written - names.keys() == set()
    assert all(re.search("[а-яё]", name) for name in names.values())


def test_piccolo_apps_and_routes_come_from_the_declarations():
    from service.app import create_app

    assert domains.piccolo_apps() == ["service.audit.piccolo_app", "service.accounts.piccolo_app",
                                      "service.school.piccolo_app", "service.people.piccolo_app",
                                      "service.timetable.piccolo_app", "service.journal.piccolo_app",
                                      "service.diary.piccolo_app", "service.messages.piccolo_app",
                                      "service.ops.piccolo_app", "service.records.piccolo_app"]
    paths = {route.path for route in create_app(database_pool=False).routes}
    for domain in domains.discover():
        router = domains.resolve(domain.routes) if domain.routes else None
        for route in router.routes if router else []:
            assert route.path in paths, (domain.name, route.path)
    for entry in (m for d in domains.discover() for m in d.menu):
        assert entry.href in paths, f"menu entry {entry.href} leads nowhere"


def test_menu_shows_only_entries_for_rights_held():
    def viewer(*rights: str) -> Viewer:
        return Viewer(1, "x", None, "X", ("teacher",), frozenset(rights), 0, "", ("Учитель",))

    # the timetable is for everyone signed in: each sees their own week (or their children's)
    assert [m.href for m in domains.menu_for(viewer())] == ["/home", "/timetable"]
    hrefs = [m.href for m in domains.menu_for(viewer("people.view_taught", "admin.audit"))]
    assert hrefs == ["/home", "/classes", "/timetable", "/admin/audit"]
    assert domains.menu_for(None) == []


def test_the_menu_marks_the_section_of_the_page_as_current():
    """base.html's menu (``render.menu_html``, made once per set of rights): the entry of the
    page, of a page below it, or of one of its other prefixes is current, and only that one."""
    from service.web.render import menu_html

    def current(path: str, *rights: str) -> list[str]:
        html = menu_html(Viewer(1, "x", None, "X", ("teacher",), frozenset(rights), 0, "", ("Учитель",)), path)
        assert html.count("<li>") == len(domains.menu_for(Viewer(1, "x", None, "X", (), frozenset(rights), 0, "", ())))
        return re.findall(r'href="([^"]+)" aria-current="page"', html)

    assert current("/timetable") == ["/timetable"]
    assert current("/timetable/class/7") == ["/timetable"]
    assert current("/journal/c1-s2", "journal.teach") == ["/journal"]
    assert current("/journal", "journal.teach") == ["/journal"]
    assert current("/journalx", "journal.teach") == []
    # the same rights, another page: the cached menu is not the previous page's
    assert current("/home", "journal.teach") == ["/home"]
    assert current("/messages", "messages.use") == ["/messages"]
    assert 'hx-get="/messages/unread"' in menu_html(
        Viewer(1, "x", None, "X", (), frozenset({"messages.use"}), 0, "", ()), "/home")
    assert menu_html(None, "/home") == ""


async def test_rights_in_the_database_are_the_declared_ones(db):
    """`ezh migrate` (do_sync_rights) wrote every declared right with its default roles."""
    stored = {p["code"] for p in await Permission.select(Permission.code).run()}
    assert stored == set(domains.right_codes())
    grants = {(g["role.code"], g["permission.code"]) for g in await RolePermission.select(
        RolePermission.role.code, RolePermission.permission.code).run()}
    for right in domains.rights():
        for role in right.default_roles:
            assert (role, right.code) in grants


async def test_the_menu_a_user_sees_follows_their_rights(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        nav = (await c.get("/home")).text.split('class="main-nav"')[1].split("</nav>")[0]
    assert re.findall(r'href="([^"]+)"', nav) == ["/home", "/messages", "/journal", "/acknowledgements", "/classes",
                                                  "/timetable", "/reports"]


@pytest.fixture
def extra_domain(tmp_path, monkeypatch):
    """A domain package that exists only for this test, outside the source tree."""
    package = tmp_path / "service" / "zz_library"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "domain.py").write_text(textwrap.dedent('''
        from service.domains import Domain, MenuEntry, Right
        DOMAIN = Domain(
            name="library", position=95, routes="service.zz_library.routes:router",
            rights=(Right("library.view", "Библиотека", "Библиотека", ("teacher",)),),
            audit_actions={"library.book_lent": "Выдана книга"},
            menu=(MenuEntry("/library", "Библиотека", ("library.view",), position=55),),
        )
    '''))
    (package / "routes.py").write_text(textwrap.dedent('''
        from litestar import Router, get
        from service.web import requires

        @get("/library", guards=[requires("library.view")], media_type="text/plain")
        async def library() -> str:
            return "книги"

        router = Router(path="/", route_handlers=[library])
    '''))
    monkeypatch.setattr(service, "__path__", [*service.__path__, str(tmp_path / "service")])
    for cached in (domains.discover, domains.right_codes, domains.action_names, domains._menu,
                   domains._cards):
        cached.cache_clear()
    yield
    for cached in (domains.discover, domains.right_codes, domains.action_names, domains._menu,
                   domains._cards):
        cached.cache_clear()
    for name in [m for m in sys.modules if m.startswith("service.zz_library")]:
        del sys.modules[name]


async def test_a_new_domain_plugs_in_without_touching_shared_files(extra_domain, sqlite_db):
    from service.accounts.actions import do_sync_rights
    from service.audit.log import Actor

    assert "library" in [d.name for d in domains.discover()]
    assert domains.action_names()["library.book_lent"] == "Выдана книга"
    await do_sync_rights(Actor.system("tests"))  # what `ezh migrate` does
    await tiny_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        home = await c.get("/home")
        assert 'href="/library"' in home.text
        page = await c.get("/library")
        assert page.status_code == 200 and page.text == "книги"
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        assert (await c.get("/library")).status_code == 403
