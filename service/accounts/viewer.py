"""The signed-in person as every query and action sees them."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.audit.log import Actor


@dataclass(frozen=True)
class Viewer:
    user_id: int
    login: str
    person_id: int | None
    full_name: str
    roles: tuple[str, ...]  # role codes, most important first
    permissions: frozenset[str]
    session_id: int = 0
    address: str = ""
    role_names: tuple[str, ...] = field(default=())

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, name=self.login, address=self.address)

    @property
    def primary_role(self) -> str | None:
        return self.roles[0] if self.roles else None
