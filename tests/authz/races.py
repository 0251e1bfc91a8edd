"""The index of races (R-SEC-1, R-SEC-3): every audited action of the app (the domains'
``audit_actions``) is either one-time or limited — and then tried by concurrent requests on
PostgreSQL by the tests named — or says why it is neither. A new audit action without a line
here fails ``tests/authz/test_races.py::test_every_audited_action_is_in_the_index``.

One-time: done once to its object (an invitation code, a reset code, revoking a key,
withdrawing a consent, closing a period, deciding a correction, sealing a year). Limited: a
rule bounds how many or which (one account per person, one class «7Б» a year, one current year,
one open health line a date, at most five password checks, the last administrator)."""

from __future__ import annotations

A = "tests/authz/test_races.py::"
ACC = "tests/accounts/test_races.py::"

# action → the race tests (PostgreSQL, concurrent), or the reason it needs none
RACED: dict[str, tuple[str, ...]] = {
    "accounts.login": (ACC + "test_concurrent_wrong_passwords_get_no_more_checks_than_the_limit",),
    "accounts.registered": (ACC + "test_one_invitation_code_makes_one_account",
                            ACC + "test_two_codes_of_one_person_make_one_account"),
    "accounts.password_reset": (ACC + "test_one_reset_code_changes_the_password_once",),
    "accounts.user_blocked": (A + "test_two_administrators_blocking_each_other_leave_one",),
    "accounts.api_token_revoked": (A + "test_an_api_key_revoked_at_once_is_revoked_once",),
    "school.class_created": ("tests/school/test_actions.py::test_two_requests_at_once_make_one_class_and_one_load_row",),
    "school.load_added": ("tests/school/test_actions.py::test_two_requests_at_once_make_one_class_and_one_load_row",),
    "school.year_made_current": (A + "test_two_years_made_current_at_once_leave_one_current",),
    "people.health_recorded": ("tests/people/test_races.py::test_new_health_lines_from_one_date_at_once_leave_one_open_line",),
    "people.consent_withdrawn": (A + "test_a_consent_withdrawn_at_once_is_withdrawn_once",),
    "people.staff_left": (A + "test_a_leaving_date_written_at_once_is_written_once",),
    "orders.enrolment_opened": ("tests/orders/test_races.py::test_two_enrolments_of_one_student_at_once",),
    "orders.year_closed": ("tests/orders/test_races.py::test_one_year_rolled_over_once",),
    "orders.order_cancelled": (A + "test_an_order_cancelled_at_once_is_cancelled_once",),
    "timetable.version_created": ("tests/timetable/test_actions.py::test_two_new_versions_from_one_date_at_once_make_one",),
    "timetable.slot_added": ("tests/timetable/test_slots.py::test_two_deputies_placing_one_teacher_at_once_make_one_slot",),
    "timetable.lesson_replaced": ("tests/timetable/test_changes.py::test_two_deputies_cannot_give_one_substitute_two_lessons_at_once",),
    "timetable.slot_changed": ("tests/timetable/test_lessons.py::test_a_slot_edit_racing_a_substitution_keeps_the_substitute",),
    "timetable.absence_ended": (A + "test_a_teacher_s_absence_removed_at_once_is_removed_once",),
    "timetable.feed_revoked": (A + "test_a_calendar_address_revoked_at_once_is_revoked_once",),
    "journal.cell_saved": ("tests/journal/test_cells_races.py::test_two_teachers_saving_one_cell_at_once_one_wins",
                           "tests/journal/test_cells_races.py::test_twenty_saves_of_different_cells_at_once_all_land"),
    "journal.final_saved": (A + "test_one_final_saved_from_two_tabs_at_once_is_saved_once",),
    "journal.period_closed": (A + "test_a_period_closed_and_reopened_at_once_is_closed_and_reopened_once",),
    "journal.period_reopened": (A + "test_a_period_closed_and_reopened_at_once_is_closed_and_reopened_once",),
    "journal.correction_approved": (A + "test_a_correction_approved_and_rejected_at_once_is_decided_once",),
    "journal.correction_rejected": (A + "test_a_correction_approved_and_rejected_at_once_is_decided_once",),
    "journal.note_removed": (A + "test_a_note_removed_at_once_is_removed_once",),
    "journal.file_removed": (A + "test_a_homework_file_removed_at_once_is_removed_once",),
    "journal.plan_imported": ("tests/journal/test_plans.py::test_two_imports_at_once_leave_one_active_plan",),
    "diary.finals_acknowledged": ("tests/diary/test_acknowledge.py::test_two_acknowledgements_at_once_make_one_row",
                                  "tests/diary/test_acknowledge.py::test_four_first_acknowledgements_at_once_make_one_row"),
    "messages.sent": ("tests/messages/test_actions.py::test_two_submissions_at_once_make_one_thread",),
    "messages.read": ("tests/messages/test_actions.py::test_answers_and_openings_at_once_keep_the_counters_true",),
    **{f"exchange.{what}_imported": ("tests/exchange/test_actions.py::test_two_imports_of_one_list_at_once_write_it_once",)
       for what in ("student", "parent", "staff", "subject", "class", "load")},
    "ops.maintenance_cancelled": (A + "test_maintenance_cancelled_at_once_is_cancelled_once",),
    "records.transcripts_issued": ("tests/records/test_issue.py::test_two_batches_at_once_one_waits_for_nothing_and_is_refused",),
    "records.year_sealed": ("tests/records/test_seal.py::test_two_seals_at_once_make_one_package",),
    "records.signature_attached": ("tests/records/test_seal.py::test_two_archivists_attaching_the_same_signature_at_once_"
                                   "get_one_row_and_one_file",),
    "records.year_reopened": (A + "test_a_sealed_year_reopened_at_once_is_reopened_once",),
}

# the audit log itself: whatever writes, the chain never forks
CHAIN = ("tests/audit/test_postgres.py::test_concurrent_writers_never_fork_the_chain",)

FREE = "neither one-time nor limited: doing it twice at once is doing it twice, each audited"
UNIQUE = "limited by a unique index: the second of two at once is refused by the database"
LAST_WINS = "a form saved as a whole: two at once leave the later one, each audited"

NOT_RACED: dict[str, str] = {
    "accounts.logout": "ends one's own session; two at once end the same one: nothing to protect",
    "accounts.user_created": UNIQUE + " (login)",
    "accounts.user_unblocked": "unblocking leaves no last-administrator rule to break; serialised with "
                               "blocking by the same lock («rights»)",
    "accounts.password_changed": LAST_WINS + " (one's own password, each change checked against the "
                                             "old one and ending the other sessions)",
    "accounts.reset_code_issued": "a new code supersedes the previous one; using a code is the one-time "
                                  "action (accounts.password_reset)",
    "accounts.invitations_issued": "a new slip supersedes the previous codes; registering is the one-time "
                                   "action (accounts.registered)",
    "accounts.role_rights_changed": LAST_WINS + "; the last right to edit roles is kept under the "
                                                "«rights» lock",
    "accounts.user_roles_changed": LAST_WINS + "; under the «rights» lock",
    "accounts.rights_synced": "ezh migrate, run by one administrator at a time",
    "accounts.person_created": FREE,
    "accounts.api_token_issued": FREE + " (each key is new)",
    "school.demo_generated": "one transaction that refuses any database not empty",
    "school.year_created": UNIQUE + " (year name)",
    "school.period_added": LAST_WINS,
    "school.period_changed": LAST_WINS,
    "school.day_added": FREE,
    "school.day_changed": LAST_WINS,
    "school.subject_created": UNIQUE + " (subject name)",
    "school.subject_changed": LAST_WINS,
    "school.class_changed": LAST_WINS,
    "school.group_created": FREE,
    "school.load_changed": LAST_WINS + " (the history row: school.load_added's race test)",
    "school.load_ended": LAST_WINS,
    "people.person_created": FREE,
    "people.person_changed": LAST_WINS,
    "people.parent_linked": FREE + " (the page links a new person each time)",
    "people.staff_added": FREE,
    "people.consent_recorded": FREE + " (consents are kept, each signed)",
    "orders.order_created": "the movement it carries is the limited part (orders.enrolment_opened)",
    "orders.enrolment_closed": "with the order that closes it (orders.enrolment_opened's race test)",
    "orders.group_joined": "with its order (orders.enrolment_opened's race test: students locked)",
    "orders.group_left": "with its order (orders.enrolment_opened's race test: students locked)",
    "orders.class_created": "made by the rollover (orders.year_closed's race test)",
    "timetable.room_created": UNIQUE + " (room name)",
    "timetable.room_changed": LAST_WINS,
    "timetable.bells_created": FREE,
    "timetable.bells_changed": LAST_WINS,
    "timetable.day_set": LAST_WINS,
    "timetable.day_cleared": "refused for an ordinary day, under the year's lock (read inside it)",
    "timetable.version_changed": LAST_WINS,
    "timetable.slot_removed": "lessons holding records block it; removing a removed slot is a 404",
    "timetable.week_copied": LAST_WINS + " (the week is replaced as a whole)",
    "timetable.lessons_made": "made with their slot (timetable.slot_added's race test)",
    "timetable.absence_recorded": FREE,
    "timetable.lesson_combined": "the busy-teacher rule: timetable.lesson_replaced's race test (same lock)",
    "timetable.lesson_cancelled": LAST_WINS + " (a lesson with records is not cancelled)",
    "timetable.lesson_restored": LAST_WINS,
    "timetable.lesson_room_changed": "the taken-room rule under the lessons' lock (timetable.lesson_replaced's race test)",
    "timetable.lesson_added": "the busy-teacher rule: timetable.lesson_replaced's race test (same lock)",
    "timetable.lesson_moved": "the busy-teacher rule: timetable.lesson_replaced's race test (same lock)",
    "timetable.home_started": FREE,
    "timetable.home_changed": LAST_WINS,
    "timetable.feed_created": "at most five active addresses a person, under the person's lock "
                              "(«calendar_feed:<person>»)",
    "journal.grade_changed": "through the cell's lock: journal.cell_saved's race tests",
    "journal.entry_saved": "a stale form (version) is refused: tests/journal/test_lessons.py::"
                           "test_a_stale_form_is_refused_naming_what_changed",
    "journal.homework_individual": LAST_WINS,
    "journal.file_added": FREE,

    "journal.attendance_saved": "through the cells' locks: journal.cell_saved's race tests",
    "journal.note_added": FREE + " (notes of overlapping days stay, the marks follow them)",
    "journal.correction_asked": "one pending correction a cell, under the cell's lock "
                                "(journal.cell_saved's race tests)",
    "journal.settings_changed": LAST_WINS,
    "journal.system_saved": LAST_WINS,
    "journal.rule_saved": LAST_WINS,
    "journal.work_kind_saved": LAST_WINS,
    "journal.defaults_created": "ezh migrate: created once, idempotent",
    "diary.digest_switched": LAST_WINS + " (one row a parent: a unique index)",
    "diary.digest_address_changed": LAST_WINS,
    "diary.digest_sent": "the nightly job, one process",
    "ops.maintenance_planned": FREE,
    "records.verified": FREE + " (a check of a document: nothing changes)",
    "records.package_verified": FREE + " (a check of a package: the register keeps the last)",
    "records.purged": "ezh archive purge, a command run by one administrator, under the year's row lock",
    "records.year_closed_for_seal": "inside the seal, which runs alone on the server (a lock file); only a reopened year",
    "records.year_reopened_after_failed_seal": "the same seal's own undo, once, when that seal failed",
    "records.act_registered": "the purge's own act, once per purge that removed rows (after records.purged)",
}
