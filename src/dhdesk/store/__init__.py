"""The workspace (one DuckDB file per union): the only code that speaks SQL."""
