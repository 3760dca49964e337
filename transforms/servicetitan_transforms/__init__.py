"""Runner for the SQL transforms that build the st_* tables."""
