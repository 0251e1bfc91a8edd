"""Operations: the nightly maintenance window, planned long maintenance, the availability
record, the paper fallback and the administrator's page over backups and drills."""
