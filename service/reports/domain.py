"""Reports (issue 11): read everything, write nothing. The summary sheet of final grades
(R-REP-1), performance and quality (R-REP-2) — more follow; each on screen and as PDF, ODS,
XLSX, CSV, HTML or TXT, from the page and from ``ezh report``."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Отчёты"

DOMAIN = Domain(
    name="reports",
    position=85,  # reads every domain to its left
    routes="service.reports.routes:router",
    rights=(
        Right("reports.view", "Отчёты по всей школе, параллелям и любому классу (с фамилиями учеников)",
              SECTION, ("deputy",), includes=("reports.own",)),
        # the secretary holds it too (she leads no class: it shows her nothing) so that she may
        # hand out the class teacher's role on staff invitations (accounts.rules.rights_beyond)
        Right("reports.own", "Отчёты по своему классу (классному руководителю)", SECTION,
              ("class_teacher", "secretary")),
    ),
    menu=(MenuEntry("/reports", "Отчёты", ("reports.view", "reports.own"), position=28),),
    home_cards=(
        HomeCard("/reports", "Отчёты", "Сводная ведомость итоговых отметок, успеваемость и качество знаний — "
                 "на экране, в PDF, таблицах и тексте", ("reports.view", "reports.own"), position=30),
    ),
)
