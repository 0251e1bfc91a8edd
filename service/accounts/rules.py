"""Pure rules of accounts: passwords, logins, one-time codes, throttling. No I/O."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.forms import PASSWORD_MAX
from service.text import count

# Crockford's base32 without I, L, O, U: nothing to confuse when a code is typed from paper.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS, CODE_GROUP_LEN = 3, 4  # 60 bits: XXXX-XXXX-XXXX
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V", "О": "0", "З": "3",
                             "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H",
                             "Р": "P", "С": "C", "Т": "T", "Х": "X"})
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 10
# The right at the top: its holder may give any right to any role, their own included.
EDIT_ROLES = "admin.roles"


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LEN))
    return "-".join(raw[i:i + CODE_GROUP_LEN] for i in range(0, len(raw), CODE_GROUP_LEN))


def normalise_code(text: str) -> str | None:
    """What a person typed → the canonical code, or None if it cannot be one.
    Case, spaces, dashes and look-alike Cyrillic letters are forgiven."""
    cleaned = re.sub(r"[\s\-–—]", "", text.upper()).translate(_CONFUSABLE)
    if len(cleaned) != CODE_GROUPS * CODE_GROUP_LEN or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i:i + CODE_GROUP_LEN] for i in range(0, len(cleaned), CODE_GROUP_LEN))


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (session token, one-time code). Such secrets need no
    slow hash: guessing 60 random bits online is hopeless, and it lets us look them up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


API_TOKEN_PREFIX = "ezh_"  # tells an API key from anything else in a log or a config file


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def password_problem(password: str, login: str = "") -> str | None:
    """Why a new password is not acceptable, in Russian, or None."""
    if len(password) < MIN_PASSWORD:
        return f"Пароль должен быть не короче {MIN_PASSWORD} символов"
    if len(password) > PASSWORD_MAX:
        return f"Пароль должен быть не длиннее {PASSWORD_MAX} символов"
    if login and login.lower() in password.lower():
        return "Пароль не должен содержать логин"
    if len(set(password)) < 4:
        return "Пароль слишком простой: в нём почти одни одинаковые символы"
    return None


def login_problem(login: str) -> str | None:
    if not LOGIN_RE.match(login):
        return ("Логин: от 3 до 64 символов — строчные латинские буквы, цифры, точка, "
                "дефис или подчёркивание; начинается с буквы или цифры")
    return None


def rights_beyond(own: Iterable[str], wanted: Iterable[str],
                  includes: Mapping[str, Iterable[str]]) -> set[str]:
    """The rights in ``wanted`` that a holder of ``own`` lacks: nobody hands out, grants or
    resets above their own rights. A right contains the narrower rights it ``includes`` (as
    declared by its domain, followed transitively). The right to edit role rights contains
    every right: its holder could give any right to their own role anyway."""
    have = set(own)
    if EDIT_ROLES in have:
        return set()
    todo = list(have)
    while todo:
        for narrower in includes.get(todo.pop(), ()):
            if narrower not in have:
                have.add(narrower)
                todo.append(narrower)
    return set(wanted) - have


@dataclass(frozen=True)
class Throttle:
    """Throttling of guesses (passwords and one-time codes): after ``max_failures`` failures for
    one account (or ``address_max_failures`` from one address) within ``window``, attempts wait
    until the oldest counted failure leaves the window."""

    max_failures: int
    address_max_failures: int
    window: timedelta

    def wait(self, now: datetime, account_failures: list[datetime],
             address_failures: list[datetime]) -> timedelta | None:
        """How long to wait before the next attempt, or None if it may go ahead."""
        waits = []
        for failures, limit in ((account_failures, self.max_failures),
                                (address_failures, self.address_max_failures)):
            recent = sorted(t for t in failures if now - t < self.window)
            if len(recent) >= limit:
                waits.append(recent[-limit] + self.window - now)
        return max(waits) if waits else None


def minutes_text(delta: timedelta) -> str:
    minutes = max(1, -(-int(delta.total_seconds()) // 60))
    return count(minutes, "минуту", "минуты", "минут")
