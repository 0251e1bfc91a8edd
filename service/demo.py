"""Demo school generator (placeholder; being written)."""
