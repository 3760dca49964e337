"""What the tests share: databases, sandboxes, Meltano and the st_* oracle."""
