"""archive — signed transcripts and sealed year packages, verified without the journal.

Reads a documented export (JSON/CSV files) and imports nothing from ``service``: a sealed
year must be checkable by code that does not need the journal to exist in 25 years."""
