"""backups — borg backups, database dumps, restore drills in the 02:00–06:00 window."""
