"""Use cases: take a unit of work, never commit."""
