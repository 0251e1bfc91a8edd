"""The built-in roles. The rights code checks are declared by the domains that check them
(``service/*/domain.py``, each with the roles that hold it by default).

Which role holds which right is data (tables ``role_permission``): the administrator changes it
on the «Роли и права» page. These defaults are written once, when a right first appears.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.domains import right_codes, rights


@dataclass(frozen=True)
class RoleDef:
    code: str
    name: str
    description: str


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
    # Last, so that existing installations keep the positions they have (position is the
    # priority of the home page).
    RoleDef("nurse", "Медицинский работник", "Медсестра школы: листок здоровья учеников"),
)
ROLE_CODES = tuple(r.code for r in ROLES)

STAFF = ("admin", "deputy", "class_teacher", "teacher", "secretary")


def __getattr__(name: str):
    """The rights themselves are declared by the domains (``service/*/domain.py``)."""
    if name == "PERMISSIONS":
        return rights()
    if name == "PERMISSION_CODES":
        return right_codes()
    raise AttributeError(name)
