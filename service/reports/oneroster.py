"""OneRoster 1.2 CSV export (issue 11 item 10, R-X-2): a school year as the bulk CSV files of the
1EdTech standard, zipped, so that other systems (a library, an LMS, the region's systems) can
take the rosters and the final results without reading our tables.

What maps to what:
- orgs: the school (``org-school``);
- academicSessions: the year (``schoolYear``) and its study periods (``gradingPeriod``, parent
  the year);
- courses: a subject in a grade («Математика, 5 класс»);
- classes: a journal — a class or a group with a subject (``scheduled``), its terms the periods
  of its grade;
- users: pupils (``student``), their parents (``guardian``, the pupil's ``agentSourcedIds``),
  teachers with load (``teacher``); roles.csv carries each one's role at the school;
- enrollments: the pupils and teachers of each class (a group: its members);
- categories / lineItems / results: the confirmed finals — a line item per class × period (and
  the year), a result per pupil with the mark as the score.

Identifiers are stable (``person-17``, ``class-c5-s3``): an export taken again next week names
the same people the same way. Bulk mode: ``status`` and ``dateLastModified`` left empty, as the
standard wants for a full export. Set-based: a constant number of queries."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from datetime import date

from service.reports import queries
from service.school.queries import in_force
from service.timetable.tables import Lesson

VERSION = "1.2"
FILES = {
    "orgs.csv": ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
    "academicSessions.csv": ["sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
                             "parentSourcedId", "schoolYear"],
    "courses.csv": ["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode", "grades",
                    "orgSourcedId", "subjects", "subjectCodes"],
    "classes.csv": ["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                    "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                    "periods"],
    "users.csv": ["sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName",
                  "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
                  "password", "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName",
                  "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns"],
    "roles.csv": ["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "beginDate",
                  "endDate", "orgSourcedId", "userProfileSourcedId"],
    "enrollments.csv": ["sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                        "userSourcedId", "role", "primary", "beginDate", "endDate"],
    "categories.csv": ["sourcedId", "status", "dateLastModified", "title", "weight"],
    "lineItems.csv": ["sourcedId", "status", "dateLastModified", "title", "description", "assignDate", "dueDate",
                      "classSourcedId", "categorySourcedId", "gradingPeriodSourcedId", "academicSessionSourcedId",
                      "resultValueMin", "resultValueMax", "schoolSourcedId"],
    "results.csv": ["sourcedId", "status", "dateLastModified", "lineItemSourcedId", "studentSourcedId",
                    "scoreStatus", "score", "scoreDate", "comment"],
}
ABSENT = ("classResources", "courseResources", "demographics", "lineItemLearningObjectiveIds",
          "lineItemScoreScales", "resources", "resultLearningObjectiveIds", "resultScoreScales", "scoreScales",
          "userProfiles", "userResources")
SCHOOL = "org-school"


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def _journal_id(cls: int | None, group: int | None, subject: int) -> str:
    return f"class-g{group}-s{subject}" if group else f"class-c{cls}-s{subject}"


async def export(year: dict, school: str, today: date) -> bytes:
    """The year as a OneRoster 1.2 bulk CSV zip."""
    day = queries.report_day(year, today)
    y = year["id"]
    periods = await queries.periods(y)
    journals = await Lesson.raw(
        "SELECT DISTINCT t.school_class AS school_class, t.study_group AS study_group, t.subject AS subject, "
        "t.teacher AS teacher, s.name AS subject_name, COALESCE(c.name, g.name) AS owner, "
        "COALESCE(c.grade, gc.grade) AS grade "
        "FROM teaching_load t JOIN subject s ON s.id = t.subject LEFT JOIN school_class c ON c.id = t.school_class "
        "LEFT JOIN study_group g ON g.id = t.study_group LEFT JOIN school_class gc ON gc.id = g.school_class "
        "WHERE COALESCE(c.year, g.year) = {} "
        # a finished year keeps its finals when its load is gone: its journals come from them
        "UNION SELECT DISTINCT f.school_class, f.study_group, f.subject, f.confirmed_by, s.name, "
        "COALESCE(c.name, g.name), COALESCE(c.grade, gc.grade) "
        "FROM final_grade f JOIN subject s ON s.id = f.subject LEFT JOIN school_class c ON c.id = f.school_class "
        "LEFT JOIN study_group g ON g.id = f.study_group LEFT JOIN school_class gc ON gc.id = g.school_class "
        "WHERE f.year = {} AND f.confirmed_by IS NOT NULL "
        "ORDER BY 6, 5", y, y).run()
    pupils = await Lesson.raw(
        f"SELECT e.student AS id, e.school_class AS class_id, e.starts_on AS starts_on, e.ends_on AS ends_on, "
        f"c.grade AS grade, p.last_name, p.first_name, p.middle_name, a.login AS login, "
        f"COALESCE(a.is_active, {{}}) AS active "
        f"FROM enrolment e JOIN school_class c ON c.id = e.school_class AND c.year = {{}} "
        f"JOIN person p ON p.id = e.student LEFT JOIN account a ON a.person = p.id "
        f"WHERE {in_force('e')} ORDER BY p.last_name, p.first_name, e.student", False, y, day, day).run()
    members = await Lesson.raw(
        "SELECT m.study_group AS study_group, m.student AS student, m.starts_on AS starts_on, m.ends_on AS ends_on "
        "FROM group_member m JOIN study_group g ON g.id = m.study_group WHERE g.year = {}", y).run()
    ids = [p["id"] for p in pupils]
    parents = await Lesson.raw(
        "SELECT l.child AS child, p.id AS id, p.last_name, p.first_name, p.middle_name, p.email, p.phone, "
        "a.login AS login, COALESCE(a.is_active, {}) AS active FROM parent_link l JOIN person p ON p.id = l.parent "
        "LEFT JOIN account a ON a.person = p.id WHERE l.child IN (SELECT e.student FROM enrolment e "
        "JOIN school_class c ON c.id = e.school_class WHERE c.year = {})", False, y).run() if ids else []
    teachers = await Lesson.raw(
        "SELECT DISTINCT p.id AS id, p.last_name, p.first_name, p.middle_name, p.email, a.login AS login, "
        "COALESCE(a.is_active, {}) AS active FROM teaching_load t JOIN person p ON p.id = t.teacher "
        "LEFT JOIN school_class c ON c.id = t.school_class LEFT JOIN study_group g ON g.id = t.study_group "
        "LEFT JOIN account a ON a.person = p.id WHERE COALESCE(c.year, g.year) = {} "
        "UNION SELECT DISTINCT p.id, p.last_name, p.first_name, p.middle_name, p.email, a.login, COALESCE(a.is_active, {}) "
        "FROM final_grade f JOIN person p ON p.id = f.confirmed_by LEFT JOIN account a ON a.person = p.id "
        "WHERE f.year = {}", False, y, False, y).run()
    finals = await queries.finals(y, kinds=("period", "year"))
    present = {p["id"] for p in pupils}

    files: dict[str, list[list]] = defaultdict(list)
    files["orgs.csv"].append([SCHOOL, "", "", school, "school", "", ""])
    year_id = f"session-year-{y}"
    school_year = str(year["ends_on"].year)
    files["academicSessions.csv"].append([year_id, "", "", year["name"], "schoolYear", year["starts_on"],
                                          year["ends_on"], "", school_year])
    for p in periods:
        files["academicSessions.csv"].append([f"session-period-{p['id']}", "", "", f"{p['name']} "
                                              f"({p['grade_from']}–{p['grade_to']} кл.)", "gradingPeriod",
                                              p["starts_on"], p["ends_on"], year_id, school_year])
    courses: set[tuple[int, int]] = set()
    classes: dict[str, dict] = {}
    for j in journals:
        grade = j["grade"] or 0
        course = f"course-s{j['subject']}-g{grade}"
        if (j["subject"], grade) not in courses:
            courses.add((j["subject"], grade))
            files["courses.csv"].append([course, "", "", year_id, f"{j['subject_name']}, {grade} класс",
                                         f"s{j['subject']}-g{grade}", str(grade), SCHOOL, j["subject_name"], ""])
        cid = _journal_id(j["school_class"], j["study_group"], j["subject"])
        entry = classes.setdefault(cid, {"j": j, "teachers": set(), "course": course, "grade": grade})
        entry["teachers"].add(j["teacher"])
    for cid, entry in classes.items():
        j, grade = entry["j"], entry["grade"]
        terms = ",".join(f"session-period-{p['id']}" for p in periods if p["grade_from"] <= grade <= p["grade_to"])
        files["classes.csv"].append([cid, "", "", f"{j['owner']} · {j['subject_name']}", str(grade), entry["course"],
                                     cid.removeprefix("class-"), "scheduled", "", SCHOOL, terms or year_id,
                                     j["subject_name"], "", ""])
    kids_of: dict[int, list[str]] = defaultdict(list)
    seen_parents: dict[int, dict] = {}
    for r in parents:
        if r["child"] in present:
            kids_of[r["child"]].append(f"person-{r['id']}")
            seen_parents.setdefault(r["id"], r)
    for p in pupils:
        files["users.csv"].append(_user(p, "student", str(p["grade"]), ",".join(kids_of[p["id"]])))
        files["roles.csv"].append([f"role-{p['id']}-student", "", "", f"person-{p['id']}", "primary", "student",
                                   p["starts_on"], p["ends_on"], SCHOOL, ""])
    for r in seen_parents.values():
        files["users.csv"].append(_user(r, "guardian", "", ""))
        files["roles.csv"].append([f"role-{r['id']}-guardian", "", "", f"person-{r['id']}", "primary", "guardian",
                                   "", "", SCHOOL, ""])
    for t in teachers:
        files["users.csv"].append(_user(t, "teacher", "", ""))
        files["roles.csv"].append([f"role-{t['id']}-teacher", "", "", f"person-{t['id']}", "primary", "teacher",
                                   "", "", SCHOOL, ""])
    in_group: dict[int, list[dict]] = defaultdict(list)
    for m in members:
        if m["student"] in present:
            in_group[m["study_group"]].append(m)
    in_class: dict[int, list[dict]] = defaultdict(list)
    for p in pupils:
        in_class[p["class_id"]].append(p)
    for cid, entry in classes.items():
        j = entry["j"]
        who = ([(m["student"], m["starts_on"], m["ends_on"]) for m in in_group[j["study_group"]]]
               if j["study_group"] else [(p["id"], p["starts_on"], p["ends_on"]) for p in in_class[j["school_class"]]])
        for student, begin, end in who:
            files["enrollments.csv"].append([f"enr-{cid}-{student}", "", "", cid, SCHOOL, f"person-{student}",
                                             "student", "false", begin, end])
        for teacher in sorted(entry["teachers"]):
            files["enrollments.csv"].append([f"enr-{cid}-t{teacher}", "", "", cid, SCHOOL, f"person-{teacher}",
                                             "teacher", "true", "", ""])
    files["categories.csv"] += [["category-period", "", "", "Итоговая за период", ""],
                                ["category-year", "", "", "Годовая", ""]]
    period_by_id = {p["id"]: p for p in periods}
    items: set[str] = set()
    for f in finals:
        if f["student"] not in present:
            continue
        cid = _journal_id(f.get("school_class"), f.get("study_group"), f["subject"])
        if cid not in classes:
            continue
        session = f"session-period-{f['period']}" if f["kind"] == "period" else year_id
        item = f"li-{cid}-{f['kind']}-{f['period'] or 'y'}"
        if item not in items:
            items.add(item)
            p = period_by_id.get(f["period"])
            title = f"Итоговая: {p['name']}" if p else "Годовая"
            due = p["ends_on"] if p else year["ends_on"]
            files["lineItems.csv"].append([item, "", "", title, "", due, due, cid, f"category-{f['kind']}",
                                           session, session, "", "", SCHOOL])
        files["results.csv"].append([f"res-{item}-{f['student']}", "", "", item, f"person-{f['student']}",
                                     "fully graded", f["mark"], (period_by_id.get(f["period"]) or year)["ends_on"], ""])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = [["manifest.version", "1.0"], ["oneroster.version", VERSION]]
        for name in sorted(FILES):
            manifest.append([f"file.{name.removesuffix('.csv')}", "bulk"])
        manifest += [[f"file.{name}", "absent"] for name in ABSENT]
        manifest += [["source.systemName", "ЭЖ — электронный классный журнал"], ["source.systemCode", "ezh"]]
        archive.writestr("manifest.csv", _csv(["propertyName", "value"], manifest))
        for name, header in FILES.items():
            archive.writestr(name, _csv(header, files[name]))
    return out.getvalue()


def _user(r: dict, role: str, grades: str, agents: str) -> list:
    return [f"person-{r['id']}", "", "", "true" if r.get("active") else "false", r.get("login") or "", "",
            r["first_name"], r["last_name"], r["middle_name"] or "", f"person-{r['id']}", r.get("email") or "", "",
            r.get("phone") or "", agents, grades, "", "", "", "", "", "", SCHOOL, ""]
