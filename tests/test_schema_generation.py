"""Schemas from ServiceTitan's OpenAPI specs (the catalog's API reference): nested shapes,
money as numbers at any depth, and ``servicetitan-schema-drift NEWER`` listing what a newer
spec changes."""

from __future__ import annotations

import json
import logging
import shutil

from servicetitan_catalog.reference import openapi_dir
from servicetitan_devtools.generate_schemas import main, stream_schema
from tap_servicetitan.record_checks import RecordCheck

INVOICE = "Accounting.V2.ExportInvoiceResponse"
INVOICE_ITEM = "Accounting.V2.InvoiceItemResponse"


def test_nested_arrays_carry_their_items_properties_and_money_is_a_number() -> None:
    invoices = stream_schema("invoices")
    items = invoices["properties"]["items"]["items"]
    assert len(items["properties"]) > 30
    assert items["additionalProperties"] is True
    assert items["properties"]["total"] == {"type": ["number", "null"]}
    assert invoices["properties"]["total"] == {"type": ["number", "null"]}
    applied = stream_schema("payments")["properties"]["appliedTo"]["items"]
    assert applied["properties"]["appliedAmount"] == {"type": ["number", "null"]}


def test_check_against_an_altered_spec_lists_exactly_the_alteration(tmp_path, capsys) -> None:
    newer = tmp_path / "accounting-v2.json"
    shutil.copy(openapi_dir() / "accounting-v2.json", newer)
    spec = json.loads(newer.read_text())
    schemas = spec["components"]["schemas"]
    schemas[INVOICE]["properties"]["referenceNumber"] = {"type": ["integer", "null"]}
    del schemas[INVOICE]["properties"]["termName"]
    schemas[INVOICE_ITEM]["properties"]["warrantyNote"] = {"type": ["string", "null"]}
    newer.write_text(json.dumps(spec))
    assert main([str(newer)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "invoices:",
        "  added items[].warrantyNote: string",
        "  removed termName: string",
        "  retyped referenceNumber: string -> integer",
    ]
    assert main([str(openapi_dir())]) == 0


class _Stream:
    name = "invoices"
    primary_keys = ("id",)
    logger = logging.getLogger("test_schema_generation")

    def __init__(self) -> None:
        self.schema = stream_schema("invoices")


def test_nested_money_becomes_exact_numbers_and_non_finite_null_with_one_warning(
    caplog,
) -> None:
    check = RecordCheck(_Stream())
    rows = [
        {"id": n, "items": [{"total": "12.50"}, {"total": "Infinity"}, {"total": 3}]}
        for n in (1, 2)
    ]
    with caplog.at_level(logging.WARNING):
        for row in rows:
            check.check(row)
    assert [str(item["total"]) for item in rows[0]["items"]] == ["12.50", "None", "3"]
    warnings = [r.getMessage() for r in caplog.records if "items[].total" in r.getMessage()]
    assert len(warnings) == 1
    assert "record id 1" in warnings[0] and "'Infinity'" in warnings[0]
