"""Dagster orchestration of many ServiceTitan tenants (tenants.yml, Meltano, dbt)."""
