"""The school: academic years, classes, subjects, staff posts, teaching load, enrolments."""

from service.domains import Domain

DOMAIN = Domain(
    name="school",
    position=30,
    piccolo_app="service.school.piccolo_app",
    audit_actions={"school.demo_generated": "Создана демонстрационная школа"},
    home="service.school.home:home_context",
)
