"""Signing in and out, registering with an invitation code, passwords, roles and accounts."""

from __future__ import annotations

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery

from service import forms
from service.accounts import actions, queries
from service.errors import NotFound, Refused
from service.settings import get_settings
from service.web import (
    client_address,
    existing_id,
    redirect,
    render,
    requires,
    session_cookie,
    signed_in,
    site_url,
)

NEXT_MAX = 2000  # a local address to return to after signing in

LOGIN_FORM = {"login": forms.Text("Логин", forms.LOGIN_MAX), "password": forms.Secret("Пароль")}
REGISTER_FORM = {
    "code": forms.Text("Код приглашения", forms.CODE_MAX),
    "login": forms.Text("Логин", forms.LOGIN_MAX),
    "password": forms.Secret("Пароль"),
    "password2": forms.Secret("Повтор пароля"),
}
RESET_FORM = {
    "login": forms.Text("Логин", forms.LOGIN_MAX),
    "code": forms.Text("Код сброса", forms.CODE_MAX),
    "password": forms.Secret("Новый пароль"),
    "password2": forms.Secret("Повтор нового пароля"),
}
PASSWORD_FORM = {
    "old_password": forms.Secret("Текущий пароль"),
    "new_password": forms.Secret("Новый пароль"),
    "new_password2": forms.Secret("Повтор нового пароля"),
}
USERS_QUERY = {"q": forms.Text("Логин или фамилия", forms.SHORT_MAX), "page": forms.Page()}
REASON = forms.Text("Причина", forms.REASON_MAX)
ROLE_RIGHTS_FORM = {"perm": forms.Many(forms.Text("Право", forms.CODE_NAME_MAX)), "reason": REASON}
USER_ROLES_FORM = {"role": forms.Many(forms.Text("Роль", forms.CODE_NAME_MAX)), "reason": REASON}
USER_ACTIVE_FORM = {"active": forms.Choice("Состояние", ("0", "1")), "reason": REASON}


def _echo(raw: object, limit: int) -> str:
    """A typed value to show again in its field: a refused monster is not sent back whole."""
    return raw[:limit] if isinstance(raw, str) else ""


def _local_target(raw: object) -> str:
    """``next`` as a local path, or "". Only local paths: an open redirect would let a
    phishing link bounce through the journal."""
    try:
        target = forms.value(forms.Text("Адрес возврата", NEXT_MAX), raw, "next")
    except forms.FormErrors:
        return ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


def _safe_next(target: object) -> str:
    return _local_target(target) or "/home"


@get("/login")
async def login_page(request: Request, next: FromQuery[str | None] = None) -> Response:
    if request.scope.get("user") is not None:
        return redirect(_safe_next(next))
    return render(request, "accounts/login.html", errors={}, login="", next=_local_target(next))


@post("/login")
async def login_submit(request: Request) -> Response:
    form = await request.form()
    login, target = _echo(form.get("login"), forms.LOGIN_MAX), _local_target(form.get("next"))
    try:
        values = forms.parse(LOGIN_FORM, form)
        token = await actions.do_login(values["login"], values["password"],
                                       client_address(request.scope), request.headers.get("user-agent", ""))
    except Refused as exc:
        return render(request, "accounts/login.html", status_code=400, errors=forms.errors(exc),
                      login=login, next=target)
    response = redirect(_safe_next(target))
    response.cookies.append(session_cookie(token))
    return response


@post("/logout", guards=[signed_in])
async def logout(request: Request) -> Response:
    await actions.do_logout(request.user)
    response = redirect("/login")
    response.cookies.append(session_cookie(""))  # deletes it
    return response


@get("/register")
async def register_page(request: Request) -> Response:
    raw = request.query_params.get("code")
    invitation, errors, status = None, {}, 200
    if raw:
        try:
            code = forms.value(REGISTER_FORM["code"], raw, "code")
            invitation = await actions.check_invitation(code, client_address(request.scope))
        except Refused as exc:
            errors, status = forms.errors(exc), 400
    return render(request, "accounts/register.html", status_code=status, code=_echo(raw, forms.CODE_MAX),
                  invitation=invitation, errors=errors, login="", done=False)


@post("/register")
async def register_submit(request: Request) -> Response:
    form = await request.form()
    code, login = _echo(form.get("code"), forms.CODE_MAX), _echo(form.get("login"), forms.LOGIN_MAX)
    address = client_address(request.scope)
    invitation = None
    try:
        values = forms.parse(REGISTER_FORM, form)
        invitation = await actions.check_invitation(values["code"], address)
        if values["password"] != values["password2"]:
            raise Refused("Пароли не совпадают", field="password2")
        await actions.do_register(values["code"], values["login"], values["password"], address)
    except Refused as exc:
        return render(request, "accounts/register.html", status_code=400, code=code,
                      invitation=invitation, errors=forms.errors(exc), login=login, done=False)
    return render(request, "accounts/register.html", code="", invitation=invitation, errors={},
                  login=login, done=True)


@get("/reset")
async def reset_page(request: Request) -> Response:
    return render(request, "accounts/reset.html", errors={}, login="", code="", done=False)


@post("/reset")
async def reset_submit(request: Request) -> Response:
    form = await request.form()
    login, code = _echo(form.get("login"), forms.LOGIN_MAX), _echo(form.get("code"), forms.CODE_MAX)
    try:
        values = forms.parse(RESET_FORM, form)
        if values["password"] != values["password2"]:
            raise Refused("Пароли не совпадают", field="password2")
        await actions.do_reset_password(values["login"], values["code"], values["password"],
                                        client_address(request.scope))
    except Refused as exc:
        return render(request, "accounts/reset.html", status_code=400, errors=forms.errors(exc),
                      login=login, code=code, done=False)
    return render(request, "accounts/reset.html", errors={}, login=login, code="", done=True)


@get("/account/password", guards=[signed_in])
async def password_page(request: Request) -> Response:
    return render(request, "accounts/password.html", errors={}, done=False)


@post("/account/password", guards=[signed_in])
async def password_submit(request: Request) -> Response:
    form = await request.form()
    try:
        values = forms.parse(PASSWORD_FORM, form)
        if values["new_password"] != values["new_password2"]:
            raise Refused("Пароли не совпадают", field="new_password2")
        await actions.do_change_password(request.user, values["old_password"], values["new_password"])
    except Refused as exc:
        return render(request, "accounts/password.html", status_code=400,
                      errors=forms.errors(exc), done=False)
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
    try:
        # Every posted code reaches the action: an unknown one is refused there, not dropped
        # here (dropping it once cleared every right of the role).
        values = forms.parse(ROLE_RIGHTS_FORM, form)
        changed = await actions.do_set_role_permissions(request.user.actor, role_id,
                                                        set(values["perm"]), values["reason"])
    except Refused as exc:
        return await _roles_page(request, {str(role_id): "; ".join(forms.errors(exc).values())},
                                 status=400)
    return await _roles_page(request, {}, saved=str(role_id) if changed else "")


@get("/admin/users", guards=[requires("admin.users")])
async def users_page(request: Request) -> Response:
    try:
        values = forms.parse(USERS_QUERY, request.query_params)
    except Refused as exc:
        return render(request, "accounts/users.html", status_code=400, users=[], q="", page=1,
                      has_next=False, errors=forms.errors(exc))
    q, page = values["q"], values["page"]
    users = await queries.users_page(q, limit=51, offset=(page - 1) * 50)
    return render(request, "accounts/users.html", users=users[:50], q=q, page=page,
                  has_next=len(users) > 50, errors={})


@get("/admin/users/{user_id:int}", guards=[requires("admin.users")])
async def user_page(request: Request, user_id: FromPath[int]) -> Response:
    existing_id(user_id)
    return await _user_page(request, user_id, {})


@post("/admin/users/{user_id:int}/reset", guards=[requires("admin.users")])
async def user_reset(request: Request, user_id: FromPath[int]) -> Response:
    existing_id(user_id)
    try:
        code = await actions.do_issue_reset_code(request.user.actor, user_id)
    except Refused as exc:
        return await _user_page(request, user_id, {"reset": exc.message}, status=400)
    return await _user_page(request, user_id, {}, reset_code=code,
                            reset_hours=get_settings().security.reset_code_hours,
                            site=site_url(request))


@post("/admin/users/{user_id:int}/active", guards=[requires("admin.users")])
async def user_active(request: Request, user_id: FromPath[int]) -> Response:
    existing_id(user_id)
    form = await request.form()
    try:
        values = forms.parse(USER_ACTIVE_FORM, form)
        await actions.do_set_user_active(request.user.actor, user_id, values["active"] == "1",
                                         values["reason"])
    except Refused as exc:
        errors = forms.errors(exc)
        if "active" in errors:
            errors["__all__"] = errors.pop("active")
        return await _user_page(request, user_id, errors, status=400)
    return redirect(f"/admin/users/{user_id}", request)


@post("/admin/users/{user_id:int}/roles", guards=[requires("admin.users")])
async def user_roles(request: Request, user_id: FromPath[int]) -> Response:
    existing_id(user_id)
    form = await request.form()
    try:
        values = forms.parse(USER_ROLES_FORM, form)
        changed = await actions.do_set_user_roles(request.user.actor, user_id, set(values["role"]),
                                                  values["reason"])
    except Refused as exc:
        return await _user_page(request, user_id, {"roles": "; ".join(forms.errors(exc).values())},
                                status=400)
    return await _user_page(request, user_id, {}, roles_saved=changed)


async def _user_page(request: Request, user_id: int, errors: dict, status: int = 200,
                     reset_code: str | None = None, **extra) -> Response:
    user = await queries.user_detail(user_id)
    if user is None:
        raise NotFound()
    viewer = request.user
    extra.setdefault("api_key", None)
    return render(request, "accounts/user.html", status_code=status, user=user,
                  api_tokens=await queries.api_tokens(user_id), now=actions.now(),
                  reset_code=reset_code, errors=errors, all_roles=await queries.all_roles(),
                  grantable=await queries.roles_within(viewer),
                  above=await queries.rights_beyond_viewer(viewer, user_id),
                  is_self=user_id == viewer.user_id,
                  roles_saved=extra.pop("roles_saved", False), **extra)


TOKEN_FORM = {"name": forms.Text("Название ключа", 100, required=True),
              "days": forms.Int("Срок действия, дней", min=1, max=actions.API_TOKEN_DAYS_MAX)}


@post("/admin/users/{user_id:int}/tokens", guards=[requires("admin.users")])
async def token_issue(request: Request, user_id: FromPath[int]) -> Response:
    """A read-only API key for an integration's account, shown once."""
    existing_id(user_id)
    try:
        values = forms.parse(TOKEN_FORM, await request.form())
        key = await actions.do_issue_api_token(request.user.actor, user_id, values["name"], values["days"] or 0)
    except Refused as exc:
        return await _user_page(request, user_id, {"token": "; ".join(forms.errors(exc).values())}, status=400)
    return await _user_page(request, user_id, {}, api_key=key)


@post("/admin/users/{user_id:int}/tokens/{token_id:int}/revoke", guards=[requires("admin.users")])
async def token_revoke(request: Request, user_id: FromPath[int], token_id: FromPath[int]) -> Response:
    existing_id(user_id)
    existing_id(token_id)
    await actions.do_revoke_api_token(request.user.actor, user_id, token_id)
    return redirect(f"/admin/users/{user_id}#api", request)


router = Router(path="/", route_handlers=[token_issue, token_revoke,
    login_page, login_submit, logout, register_page, register_submit, reset_page, reset_submit,
    password_page, password_submit, roles_page, roles_submit, users_page, user_page, user_reset,
    user_active, user_roles,
])
