"""Domain model, rules, analyses and the content of every letter (stdlib + pandas/numpy only)."""
