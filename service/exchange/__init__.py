"""Import and export of the school's lists (issue 7 item 8, R-X-1, R-X-2)."""
