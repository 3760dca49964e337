"""What the project knows of ServiceTitan, written once; everything else reads or is generated from it.

- :mod:`~servicetitan_catalog.reference`: the API reference (ServiceTitan's
  OpenAPI specs and their digest, ``api_reference/``);
- :mod:`~servicetitan_catalog.streams`: every tenant-wide stream, one row each,
  core or not, selected by default or not;
- :mod:`~servicetitan_catalog.child_streams`: every child stream, one row each;
- :mod:`~servicetitan_catalog.environments`: the hosts of each ServiceTitan environment;
- :mod:`~servicetitan_catalog.settings`: the tap's settings, defaults and meanings;
- :mod:`~servicetitan_catalog.raw_tables`: the raw tables the dbt project reads.

``servicetitan-generate`` writes meltano.yml's tap settings, ``select`` and
environments, the dbt sources and the docs' reference tables from it.
"""
