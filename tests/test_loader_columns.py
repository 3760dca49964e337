"""The loader's columns for nested data, in PostgreSQL: an array of objects is one jsonb
column, an array of ids a bigint[]; a jsonb[] column of an earlier load becomes jsonb
with its rows converted. The project's loader and MeltanoLabs' own target-postgres run
as processes on Singer messages (the tap's schema of payments' appliedTo)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
LOADER_BIN = ROOT / ".meltano" / "loaders" / "target-postgres" / "venv" / "bin"
SCHEMA = json.loads(
    (ROOT / "tap-servicetitan" / "tap_servicetitan" / "schemas" / "payments.json").read_text()
)


def _messages(*records: dict) -> str:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "appliedTo": SCHEMA["properties"]["appliedTo"],
            "businessUnitIds": {"type": ["array", "null"], "items": {"type": "integer"}},
        },
    }
    lines = [{"type": "SCHEMA", "stream": "payments", "schema": schema, "key_properties": ["id"]}]
    lines += [{"type": "RECORD", "stream": "payments", "record": r} for r in records]
    return "".join(json.dumps(line) + "\n" for line in lines)


def _load(program: str, database: dict, tmp_path: Path, messages: str) -> None:
    config = tmp_path / "target.json"
    config.write_text(
        json.dumps(
            {
                "host": database["host"],
                "port": database["port"],
                "user": database["user"],
                "password": "",
                "database": database["dbname"],
                "default_target_schema": "raw",
            }
        )
    )
    result = subprocess.run(
        [str(LOADER_BIN / program), "--config", str(config)],
        input=messages,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _column_types(database: dict) -> dict[str, str]:
    with psycopg.connect(**database) as conn:
        rows = conn.execute(
            "select column_name, udt_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'payments'"
        ).fetchall()
    return dict(rows)


def _applied_total(database: dict) -> float:
    with psycopg.connect(**database) as conn:
        (total,) = conn.execute(
            "select sum((entry -> 'appliedAmount')::numeric) from raw.payments, "
            'jsonb_array_elements("appliedTo") as entry'
        ).fetchone()
    return float(total)


def applied(invoice_id: int, amount: float) -> dict:
    return {"appliedTo": invoice_id, "appliedAmount": amount, "appliedOn": "2025-03-01T00:00:00Z"}


def test_an_array_of_objects_is_one_jsonb_column(database, tmp_path) -> None:
    _load(
        "servicetitan-target-postgres",
        database,
        tmp_path,
        _messages(
            {"id": 1, "appliedTo": [applied(7, 1.5), applied(8, 2.25)], "businessUnitIds": [101]}
        ),
    )
    types = _column_types(database)
    assert types["appliedTo"] == "jsonb"
    assert types["businessUnitIds"] == "_int8"
    assert _applied_total(database) == 3.75


def test_a_jsonb_array_column_of_an_earlier_load_becomes_jsonb(database, tmp_path) -> None:
    first = _messages({"id": 1, "appliedTo": [applied(7, 1.5)], "businessUnitIds": [101]})
    _load("target-postgres", database, tmp_path, first)  # MeltanoLabs' own: jsonb[]
    assert _column_types(database)["appliedTo"] == "_jsonb"
    second = _messages({"id": 2, "appliedTo": [applied(9, 4.0)], "businessUnitIds": None})
    _load("servicetitan-target-postgres", database, tmp_path, second)
    assert _column_types(database)["appliedTo"] == "jsonb"
    assert _applied_total(database) == 5.5
