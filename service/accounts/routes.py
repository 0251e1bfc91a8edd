"""Signing in and out, registering with an invitation code, passwords, roles and accounts."""

from __future__ import annotations

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery

from service.accounts import actions, queries
from service.accounts.rights import PERMISSION_CODES
from service.errors import NotFound, Refused
from service.settings import get_settings
from service.web import (
    SESSION_COOKIE,
    client_address,
    existing_id,
    form_errors,
    redirect,
    render,
    requires,
    signed_in,
    site_url,
)


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link bounce through the journal.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/home"


@get("/login")
async def login_page(request: Request, next: FromQuery[str | None] = None) -> Response:
    if request.scope.get("user") is not None:
        return redirect(_safe_next(next))
    return render(request, "accounts/login.html", errors={}, login="", next=next or "")


@post("/login")
async def login_submit(request: Request) -> Response:
    form = await request.form()
    login, password, target = form.get("login", ""), form.get("password", ""), form.get("next", "")
    try:
        token = await actions.do_login(login, password, client_address(request.scope),
                                       request.headers.get("user-agent", ""))
    except Refused as exc:
        return render(request, "accounts/login.html", status_code=400, errors=form_errors(exc),
                      login=login, next=target)
    response = redirect(_safe_next(target))
    response.cookies.append(Cookie(
        key=SESSION_COOKIE, value=token, httponly=True, samesite="lax", path="/",
        secure=get_settings().server.secure_cookies,
    ))
    return response


@post("/logout", guards=[signed_in])
async def logout(request: Request) -> Response:
    await actions.do_logout(request.user)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/register")
async def register_page(request: Request, code: FromQuery[str | None] = None) -> Response:
    invitation, errors = None, {}
    if code:
        try:
            invitation = await actions.check_invitation(code)
        except Refused as exc:
            errors = form_errors(exc)
    return render(request, "accounts/register.html", code=code or "", invitation=invitation,
                  errors=errors, login="", done=False)


@post("/register")
async def register_submit(request: Request) -> Response:
    form = await request.form()
    code, login = form.get("code", ""), form.get("login", "")
    invitation = None
    try:
        invitation = await actions.check_invitation(code)
        if form.get("password", "") != form.get("password2", ""):
            raise Refused("Пароли не совпадают", field="password2")
        await actions.do_register(code, login, form.get("password", ""), client_address(request.scope))
    except Refused as exc:
        return render(request, "accounts/register.html", status_code=400, code=code,
                      invitation=invitation, errors=form_errors(exc), login=login, done=False)
    return render(request, "accounts/register.html", code="", invitation=invitation, errors={},
                  login=login, done=True)


@get("/reset")
async def reset_page(request: Request) -> Response:
    return render(request, "accounts/reset.html", errors={}, login="", code="", done=False)


@post("/reset")
async def reset_submit(request: Request) -> Response:
    form = await request.form()
    login, code = form.get("login", ""), form.get("code", "")
    try:
        if form.get("password", "") != form.get("password2", ""):
            raise Refused("Пароли не совпадают", field="password2")
        await actions.do_reset_password(login, code, form.get("password", ""),
                                        client_address(request.scope))
    except Refused as exc:
        return render(request, "accounts/reset.html", status_code=400, errors=form_errors(exc),
                      login=login, code=code, done=False)
    return render(request, "accounts/reset.html", errors={}, login=login, code="", done=True)


@get("/account/password", guards=[signed_in])
async def password_page(request: Request) -> Response:
    return render(request, "accounts/password.html", errors={}, done=False)


@post("/account/password", guards=[signed_in])
async def password_submit(request: Request) -> Response:
    form = await request.form()
    try:
        if form.get("new_password", "") != form.get("new_password2", ""):
            raise Refused("Пароли не совпадают", field="new_password2")
        await actions.do_change_password(request.user, form.get("old_password", ""),
                                         form.get("new_password", ""))
    except Refused as exc:
        return render(request, "accounts/password.html", status_code=400,
                      errors=form_errors(exc), done=False)
    return render(request, "accounts/password.html", errors={}, done=True)


# --- administration ------------------------------------------------------------------------


async def _roles_page(request: Request, errors: dict, saved: str = "", status: int = 200) -> Response:
    roles, perms, held = await queries.role_matrix()
    sections: dict[str, list[dict]] = {}
    for perm in perms:
        sections.setdefault(perm["section"], []).append(perm)
    return render(request, "accounts/roles.html", status_code=status, roles=roles,
                  sections=sections, held=held, errors=errors, saved=saved)


@get("/admin/roles", guards=[requires("admin.roles")])
async def roles_page(request: Request) -> Response:
    return await _roles_page(request, {})


@post("/admin/roles/{role_id:int}", guards=[requires("admin.roles")])
async def roles_submit(request: Request, role_id: FromPath[int]) -> Response:
    existing_id(role_id)
    form = await request.form()
    codes = {c for c in form.getall("perm") if c in PERMISSION_CODES} if "perm" in form else set()
    try:
        changed = await actions.do_set_role_permissions(request.user.actor, role_id, codes,
                                                        form.get("reason", ""))
    except Refused as exc:
        return await _roles_page(request, {str(role_id): exc.message}, status=400)
    return await _roles_page(request, {}, saved=str(role_id) if changed else "")


@get("/admin/users", guards=[requires("admin.users")])
async def users_page(request: Request, q: FromQuery[str] = "", page: FromQuery[int] = 1) -> Response:
    page = max(1, page)
    users = await queries.users_page(q, limit=51, offset=(page - 1) * 50)
    return render(request, "accounts/users.html", users=users[:50], q=q, page=page,
                  has_next=len(users) > 50)


@get("/admin/users/{user_id:int}", guards=[requires("admin.users")])
async def user_page(request: Request, user_id: FromPath[int]) -> Response:
    existing_id(user_id)
    return await _user_page(request, user_id, {})


@post("/admin/users/{user_id:int}/reset", guards=[requires("admin.users")])
async def user_reset(request: Request, user_id: FromPath[int]) -> Response:
    existing_id(user_id)
    code = await actions.do_issue_reset_code(request.user.actor, user_id)
    return await _user_page(request, user_id, {}, reset_code=code,
                            reset_hours=get_settings().security.reset_code_hours,
                            site=site_url(request))


@post("/admin/users/{user_id:int}/active", guards=[requires("admin.users")])
async def user_active(request: Request, user_id: FromPath[int]) -> Response:
    existing_id(user_id)
    form = await request.form()
    try:
        await actions.do_set_user_active(request.user.actor, user_id, form.get("active") == "1",
                                         form.get("reason", ""))
    except Refused as exc:
        return await _user_page(request, user_id, form_errors(exc), status=400)
    return redirect(f"/admin/users/{user_id}", request)


@post("/admin/users/{user_id:int}/roles", guards=[requires("admin.users")])
async def user_roles(request: Request, user_id: FromPath[int]) -> Response:
    existing_id(user_id)
    form = await request.form()
    codes = set(form.getall("role")) if "role" in form else set()
    try:
        changed = await actions.do_set_user_roles(request.user.actor, user_id, codes,
                                                  form.get("reason", ""))
    except Refused as exc:
        return await _user_page(request, user_id, {"roles": exc.message}, status=400)
    return await _user_page(request, user_id, {}, roles_saved=changed)


async def _user_page(request: Request, user_id: int, errors: dict, status: int = 200,
                     reset_code: str | None = None, **extra) -> Response:
    user = await queries.user_detail(user_id)
    if user is None:
        raise NotFound()
    return render(request, "accounts/user.html", status_code=status, user=user,
                  reset_code=reset_code, errors=errors, all_roles=await queries.all_roles(),
                  roles_saved=extra.pop("roles_saved", False), **extra)


router = Router(path="/", route_handlers=[
    login_page, login_submit, logout, register_page, register_submit, reset_page, reset_submit,
    password_page, password_submit, roles_page, roles_submit, users_page, user_page, user_reset,
    user_active, user_roles,
])
