"""Equipment Systems module (``equipmentsystems/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

equipment_systems = Module("equipmentsystems")

STREAMS = (
    equipment_systems.export(
        "installed_equipment", "export/installed-equipment", scope="tn.eqs.installedequipment:r"
    ),
    equipment_systems.listing(
        "equipment_types",
        "equipment-types",
        scope="tn.eqs.equipmenttypes:r",
        incremental=True,
        active=True,
    ),
    equipment_systems.listing(
        "installed_equipment_custom_field_types",
        "installed-equipment/custom-field-types",
        scope="tn.eqs.installedequipment:r",
    ),
)
