"""target-postgres that commits state every STATE_EVERY_SECONDS and removes the
batch files it has loaded.

MeltanoLabs target-postgres 0.8.1 (singer-sdk 0.54.9) writes a STATE message,
which Meltano then saves, only when it drains all its sinks: at the end of
the input and whenever, on a RECORD or BATCH message, its last full drain is
older than ``Target._MAX_RECORD_AGE_IN_MINUTES`` (5 minutes, not a setting).
A run killed before then left no state at all, and its rerun extracted
everything again. This loader is that target with the age lowered to
STATE_EVERY_SECONDS; it is otherwise the same program, with the same
settings (``TARGET_POSTGRES_*``).

With BATCH messages (the tap's default) a drain is cheap: each BATCH file is
loaded as its message arrives, so the sinks hold nothing. With plain RECORD
messages the drain also writes whatever records the sinks hold (fewer than
``batch_size_rows``), so those runs make a few more, smaller, writes.

``_MAX_RECORD_AGE_IN_MINUTES`` is a private class attribute of singer-sdk's
``Target``; ``tests/test_reliability_pipeline.py`` fails if an upgrade
removes it or stops reading it.

A BATCH file of tap-servicetitan is read by one loader, once: the one its
BATCH message reaches. Once the sink has loaded it (``process_batch_files``
returns after the rows are committed), nothing reads it again, so the loader
deletes it; finished runs leave no files behind. A file that was never
loaded (the last, unannounced file of a killed tap) is left to the tap,
which removes run folders only once no loader can read them (its
batch_files.py).

Nested data gets the column it can be typed as. target-postgres makes an
array property a PostgreSQL array of its items' type: ``bigint[]`` for
``businessUnitIds``, good, but ``jsonb[]`` for an array of objects (an
invoice's ``items``), which no JSON function reads without unnesting it
first. Here an array whose items are objects or arrays (or untyped) is one
``jsonb`` column holding the JSON array as sent, its item schema (the
fields of an invoice item) staying in the catalog; arrays of scalars keep
their typed PostgreSQL arrays and objects their ``jsonb``. A ``jsonb[]``
column an earlier version made becomes ``jsonb`` on the first load (its
values converted in place, an array of objects becoming a JSON array).
"""

from __future__ import annotations

import typing as t
from pathlib import Path
from urllib.parse import unquote, urlsplit

import sqlalchemy
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from target_postgres.connector import PostgresConnector
from target_postgres.sinks import PostgresSink
from target_postgres.target import TargetPostgres
from typing_extensions import override

#: At most this long between two states the loader writes (while messages keep coming).
STATE_EVERY_SECONDS = 30


#: What tap-servicetitan's batch files look like (its batch_files.py).
BATCH_FILE_SUFFIX = ".jsonl.gz"
RUN_FOLDER_PREFIX = "run-"
TENANT_FOLDER_PREFIX = "tap-servicetitan-"


def loaded_batch_file(url: str) -> Path | None:
    """The local path of ``url`` if it is a batch file tap-servicetitan wrote, else None."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path))
    if (
        path.name.endswith(BATCH_FILE_SUFFIX)
        and path.parent.name.startswith(RUN_FOLDER_PREFIX)
        and path.parent.parent.name.startswith(TENANT_FOLDER_PREFIX)
    ):
        return path
    return None


#: JSON schema types that are not scalars: an array of them is one jsonb column.
NESTED_TYPES = frozenset({"object", "array"})


def holds_nested_items(jsonschema: dict[str, t.Any]) -> bool:
    """Whether an array schema's items are objects or arrays, or are not typed at all."""
    items = jsonschema.get("items")
    if not isinstance(items, dict) or "type" not in items:
        return True
    kinds = items["type"] if isinstance(items["type"], list) else [items["type"]]
    return bool(NESTED_TYPES & set(kinds))


class ServiceTitanPostgresConnector(PostgresConnector):
    """target-postgres's connector, an array of objects being one jsonb column (see above)."""

    @override
    def _handle_array_type(self, jsonschema: dict[str, t.Any]) -> ARRAY | JSONB:
        if holds_nested_items(jsonschema):
            return JSONB()
        return super()._handle_array_type(jsonschema)

    @override
    def _adapt_column_type(
        self,
        schema_name: str,
        table_name: str,
        column_name: str,
        sql_type: t.Any,
        connection: sqlalchemy.engine.Connection,
        column_object: sqlalchemy.Column | None,
    ) -> None:
        """A ``jsonb[]`` column now declared ``jsonb`` is converted, values included."""
        current = (
            column_object.type
            if column_object is not None
            else self._get_column_type(
                schema_name=schema_name,
                table_name=table_name,
                column_name=column_name,
                connection=connection,
            )
        )
        if (
            isinstance(sql_type, JSONB)
            and isinstance(current, ARRAY)
            and isinstance(current.item_type, JSONB)
        ):
            column = self._engine.dialect.identifier_preparer.quote(column_name)
            table = self._engine.dialect.identifier_preparer.format_table(
                sqlalchemy.table(table_name, schema=schema_name)
            )
            connection.execute(
                sqlalchemy.text(
                    f"ALTER TABLE {table} ALTER COLUMN {column} TYPE jsonb USING to_jsonb({column})"
                )
            )
            return
        super()._adapt_column_type(
            schema_name, table_name, column_name, sql_type, connection, column_object
        )


class ServiceTitanPostgresSink(PostgresSink):
    """target-postgres's sink, deleting each of tap-servicetitan's batch files once loaded."""

    connector_class = ServiceTitanPostgresConnector

    @override
    def process_batch_files(self, encoding: t.Any, files: t.Sequence[str]) -> None:
        super().process_batch_files(encoding, files)
        for url in files:
            path = loaded_batch_file(url)
            if path is not None:
                path.unlink(missing_ok=True)


class ServiceTitanTargetPostgres(TargetPostgres):
    """target-postgres writing its state every STATE_EVERY_SECONDS instead of every 5 minutes,
    and deleting the batch files it has loaded."""

    _MAX_RECORD_AGE_IN_MINUTES = STATE_EVERY_SECONDS / 60
    default_sink_class = ServiceTitanPostgresSink


cli = ServiceTitanTargetPostgres.cli
