"""Pricebook module (``pricebook/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

pricebook = Module("pricebook")

STREAMS = (
    pricebook.export("categories", "export/categories", scope="tn.pb.categories:r"),
    pricebook.export("export_equipment", "export/equipment", scope="tn.pb.equipment:r"),
    pricebook.export("export_materials", "export/materials", scope="tn.pb.materials:r"),
    pricebook.export("export_services", "export/services", scope="tn.pb.services:r"),
    pricebook.listing(
        "client_specific_pricing", "clientspecificpricing", scope="tn.pb.csp:r", active=True
    ),
    pricebook.listing(
        "discounts_and_fees",
        "discounts-and-fees",
        scope="tn.pb.discountsandfees:r",
        incremental=True,
        active=True,
    ),
    pricebook.listing("material_cost_types", "materials/costtypes", scope="tn.pb.materials:r"),
    pricebook.listing("materials_markup", "materialsmarkup", scope="tn.pb.materials:r"),
)
