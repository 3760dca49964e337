"""Inventory module (``inventory/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

inventory = Module("inventory")

STREAMS = (
    inventory.export("adjustments", "export/adjustments", scope="tn.inv.adjustments:r"),
    inventory.export("purchase_orders", "export/purchase-orders", scope="tn.inv.purchaseorders:r"),
    inventory.export("returns", "export/returns", scope="tn.inv.returns:r"),
    inventory.export("transfers", "export/transfers", scope="tn.inv.transfers:r"),
    inventory.listing(
        "inventory_templates",
        "inventory-templates",
        scope="tn.inv.inventorytemplates:r",
        incremental=True,
        active=True,
    ),
    inventory.listing(
        "purchase_order_markups",
        "purchase-order-markups",
        scope="tn.inv.purchaseordermarkups:r",
        incremental=True,
    ),
    inventory.listing(
        "purchase_order_types",
        "purchase-order-types",
        scope="tn.inv.purchaseordertypes:r",
        incremental=True,
        active=True,
    ),
    inventory.listing(
        "purchase_order_requests",
        "purchase-orders/requests",
        scope="tn.inv.purchaseorders:r",
        incremental=True,
    ),
    inventory.listing(
        "receipts", "receipts", scope="tn.inv.receipts:r", incremental=True, active=True
    ),
    inventory.listing(
        "return_types", "return-types", scope="tn.inv.returntypes:r", incremental=True
    ),
    inventory.listing("trucks", "trucks", scope="tn.inv.trucks:r", incremental=True, active=True),
    inventory.listing(
        "vendors", "vendors", scope="tn.inv.vendors:r", incremental=True, active=True
    ),
    inventory.listing(
        "vendors_custom_fields", "vendors/custom-fields", scope="tn.inv.vendors:r", incremental=True
    ),
    inventory.listing(
        "warehouses", "warehouses", scope="tn.inv.warehouses:r", incremental=True, active=True
    ),
)
