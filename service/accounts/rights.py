"""The built-in roles and the rights code checks, with the roles that hold each by default.

Which role holds which right is data (tables ``role_permission``): the administrator changes it
on the «Роли и права» page. These defaults are written once, when a right first appears.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoleDef:
    code: str
    name: str
    description: str


@dataclass(frozen=True)
class PermissionDef:
    code: str
    name: str
    section: str
    default_roles: tuple[str, ...]


ROLES: tuple[RoleDef, ...] = (
    RoleDef("admin", "Администратор", "Технический администратор: учётные записи, роли и права, журнал аудита"),
    RoleDef("deputy", "Завуч", "Администрация школы: директор, заместители директора"),
    RoleDef("class_teacher", "Классный руководитель", "Учитель, ведущий класс"),
    RoleDef("teacher", "Учитель", "Учитель-предметник"),
    RoleDef("secretary", "Секретарь", "Списки учеников и родителей, книга приказов"),
    RoleDef("archivist", "Архивист", "Архив: итоговые ведомости, выписки, запечатанные годы"),
    RoleDef("observer", "Наблюдатель", "Только чтение сводных показателей (например, управление образования)"),
    RoleDef("parent", "Родитель", "Родитель или законный представитель ученика"),
    RoleDef("student", "Ученик", "Ученик школы"),
)
ROLE_CODES = tuple(r.code for r in ROLES)

STAFF = ("admin", "deputy", "class_teacher", "teacher", "secretary")

PERMISSIONS: tuple[PermissionDef, ...] = (
    PermissionDef("admin.roles", "Изменять права ролей", "Администрирование", ("admin",)),
    PermissionDef("admin.users", "Управлять учётными записями, сбрасывать пароли", "Администрирование", ("admin",)),
    PermissionDef("admin.audit", "Просматривать журнал аудита", "Администрирование", ("admin", "deputy")),
    PermissionDef("admin.access_log", "Просматривать журнал доступа к персональным данным", "Администрирование", ("admin",)),
    PermissionDef("invitations.issue_any", "Выпускать коды приглашения для любого класса", "Коды приглашения", ("admin", "deputy", "secretary")),
    PermissionDef("invitations.issue_own", "Выпускать коды приглашения для своего класса", "Коды приглашения", ("class_teacher",)),
    PermissionDef("people.view_all", "Видеть карточки всех учеников и родителей", "Люди", ("admin", "deputy", "secretary")),
    PermissionDef("people.view_class", "Видеть карточки учеников своего класса", "Люди", ("class_teacher",)),
    PermissionDef("people.view_taught", "Видеть учеников классов, где ведёт уроки", "Люди", ("teacher", "class_teacher")),
    PermissionDef("people.view_children", "Видеть карточки своих детей", "Люди", ("parent",)),
    PermissionDef("people.view_self", "Видеть свою карточку", "Люди", ("student",)),
    PermissionDef("archive.view", "Раздел «Архив»", "Архив", ("archivist", "admin", "deputy")),
    PermissionDef("reports.aggregate", "Сводные показатели школы без персональных данных", "Отчёты", ("observer", "deputy", "admin")),
)
PERMISSION_CODES = frozenset(p.code for p in PERMISSIONS)
