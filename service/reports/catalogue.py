"""The reports there are: code (in URLs and ``ezh report``), title, what it shows. Light on
purpose: the command line reads it to build its help without loading the builders."""

REPORTS = (
    {"code": "summary-sheet", "title": "Сводная ведомость итоговых отметок",
     "text": "Класс за учебный год: отметки за периоды, год и экзамены, решение педсовета; для подписи и печати",
     "cli": "сводная ведомость итоговых отметок класса за год"},
    {"code": "performance", "title": "Успеваемость и качество знаний",
     "text": "Класс, параллель или школа за период или год: отметки, проценты, средний балл, списки учеников",
     "cli": "успеваемость и качество знаний: класс, параллель или школа за период или год"},
)
NAMES = {r["code"]: r["cli"] for r in REPORTS}
