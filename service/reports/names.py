"""File names for downloads: Cyrillic transliterated (ГОСТ 7.79 system B, simplified), anything
else folded to «-», so that a file saved by any browser on any system keeps a readable name."""

from __future__ import annotations

import re

_MAP = {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
        "й": "j", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
        "у": "u", "ф": "f", "х": "x", "ц": "cz", "ч": "ch", "ш": "sh", "щ": "shh", "ъ": "", "ы": "y", "ь": "",
        "э": "e", "ю": "yu", "я": "ya"}


def slug(text: str, limit: int = 80) -> str:
    out = []
    for ch in text.lower():
        out.append(_MAP.get(ch, ch))
    folded = re.sub(r"[^a-z0-9]+", "-", "".join(out)).strip("-")
    return folded[:limit].strip("-") or "report"
