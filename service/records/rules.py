"""Pure rules of the register: short codes printed on documents, what the public verification
page may say about a document, file names."""

from __future__ import annotations

import re
import secrets

from service.accounts.rules import _CONFUSABLE, CODE_ALPHABET

SHORT_LEN = 8  # 40 bits: a guess in 10^12; the verification page is throttled besides


def new_short_code() -> str:
    """Eight characters of Crockford's base32 (stored without the dash)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(SHORT_LEN))


def shown_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_short_code(text: str) -> str | None:
    """What a person typed from paper → the stored code, or None. Case, spaces, dashes and
    look-alike Cyrillic letters are forgiven."""
    cleaned = re.sub(r"[\s\-–—]", "", (text or "")[:40].upper()).translate(_CONFUSABLE)
    if len(cleaned) != SHORT_LEN or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


def initials(surname: str, name: str) -> str:
    """«Петрова Анна» → «А. П.»: what the public page names, enough for the holder to recognise
    their document and too little to harvest a class list by guessing codes."""
    return " ".join(f"{w[0]}." for w in (name, surname) if w)


_UNSAFE = re.compile(r"[^0-9A-Za-zА-Яа-яЁё._-]+")


def file_stem(*parts: str) -> str:
    """A file name from words: letters, digits, dots and dashes only (no path can be smuggled)."""
    stem = "-".join(_UNSAFE.sub("_", p).strip("._") for p in parts if p)
    return stem[:120] or "document"
