"""Limits that two layers must agree on (the reader's C text counter and the statistics' category counts)."""

CATEGORY_LIMIT = 10_000
"""Distinct values tracked per column; beyond it the column is treated as free text (no categorical drift)."""
