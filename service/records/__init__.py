"""The school's records (issue 12): signed transcripts, sealed years, their verification page.

The service writes the documented export (``export.py``, docs/archive-export.md); the top-level
``archive`` package turns it into PDF/A documents, signs and seals them, and verifies them
without this service."""
