"""How a domain plugs in: one declaration per domain, collected here.

Each domain package ``service/<name>/`` has a ``domain.py`` with ``DOMAIN = Domain(...)``: its
routes, its rights with their default roles, the Russian names of its audit actions, its menu
entries and home-page cards per right, its Piccolo app, and what it adds to the home page.
The app, the menu, the audit log page, ``ezh migrate`` and the rights table collect the
declarations from :func:`discover`; ``accounts`` and ``audit`` know no domain by name, and
adding a domain touches no shared file (as FreedomBox modules declare their manifests).

A declaration names code as ``"module:attribute"`` strings, resolved only when needed, so
collecting the declarations imports nothing heavy (Piccolo's configuration collects them
before any table exists).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Right:
    """A right («право») that code checks; which roles hold it is data, these are the roles
    that get it when it first appears."""

    code: str
    name: str
    section: str
    default_roles: tuple[str, ...] = ()
    # Narrower rights this one contains: its holder may hand out roles holding them
    # (accounts/rules.py::rights_beyond; seeing every card contains seeing one class's).
    includes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MenuEntry:
    """A link in the main menu, shown to a viewer holding any of ``rights`` (empty: everyone
    signed in). ``also_current`` are path prefixes that light the entry up too."""

    href: str
    label: str
    rights: tuple[str, ...] = ()
    position: int = 100
    also_current: tuple[str, ...] = ()
    # a path whose fragment the menu fetches after the page (a count such as unread messages):
    # the page itself pays no query for it
    badge: str | None = None


@dataclass(frozen=True)
class HomeCard:
    """A card on the home page of a viewer holding any of ``rights``."""

    href: str
    title: str
    text: str
    rights: tuple[str, ...]
    position: int = 100


@dataclass(frozen=True)
class Domain:
    name: str
    position: int  # dependency order: a domain comes after the domains it imports
    routes: str | None = None  # "module:attribute" of a Router
    rights: tuple[Right, ...] = ()
    audit_actions: Mapping[str, str] = field(default_factory=dict)
    menu: tuple[MenuEntry, ...] = ()
    home_cards: tuple[HomeCard, ...] = ()
    piccolo_app: str | None = None  # module path of the Piccolo AppConfig
    home: str | None = None  # "module:function": async (viewer, day, role) -> dict for /home
    # "module:function": async (actor) -> list[str], run by `ezh migrate` after the rights are
    # in place; it creates the domain's default data once (idempotent) and says what it made.
    on_migrate: str | None = None


async def after_migrate(actor: Any) -> list[str]:
    """Run every domain's ``on_migrate`` in dependency order; what they made, in Russian."""
    said: list[str] = []
    for d in discover():
        if d.on_migrate:
            said.extend(await resolve(d.on_migrate)(actor))
    return said


def resolve(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


@cache
def discover() -> tuple[Domain, ...]:
    """Every ``service/*/domain.py`` declaration, in dependency order."""
    import service

    found = []
    for info in pkgutil.iter_modules(service.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"service.{info.name}.domain")
        except ModuleNotFoundError as exc:
            if exc.name != f"service.{info.name}.domain":
                raise
            continue
        found.append(module.DOMAIN)
    names = [d.name for d in found]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two domains share a name: {sorted(names)}")
    return tuple(sorted(found, key=lambda d: (d.position, d.name)))


def rights() -> tuple[Right, ...]:
    collected = [r for d in discover() for r in d.rights]
    codes = [r.code for r in collected]
    if len(set(codes)) != len(codes):
        raise RuntimeError("a right is declared twice")
    return tuple(collected)


@cache
def right_codes() -> frozenset[str]:
    return frozenset(r.code for r in rights())


@cache
def action_names() -> dict[str, str]:
    """Russian names of every audit action, for the audit log page."""
    return {code: name for d in discover() for code, name in d.audit_actions.items()}


@cache
def _menu() -> tuple[MenuEntry, ...]:
    return tuple(sorted((m for d in discover() for m in d.menu), key=lambda m: m.position))


@cache
def _cards() -> tuple[HomeCard, ...]:
    return tuple(sorted((c for d in discover() for c in d.home_cards), key=lambda c: c.position))


def _allowed(viewer: Any, wanted: tuple[str, ...]) -> bool:
    return not wanted or any(viewer.can(r) for r in wanted)


def menu_for(viewer: Any) -> list[MenuEntry]:
    return [m for m in _menu() if _allowed(viewer, m.rights)] if viewer is not None else []


def home_cards_for(viewer: Any) -> list[HomeCard]:
    return [c for c in _cards() if _allowed(viewer, c.rights)] if viewer is not None else []


def routers() -> list[Any]:
    return [resolve(d.routes) for d in discover() if d.routes]


def piccolo_apps() -> list[str]:
    return [d.piccolo_app for d in discover() if d.piccolo_app]


def home_providers() -> list[Any]:
    return [resolve(d.home) for d in discover() if d.home]
