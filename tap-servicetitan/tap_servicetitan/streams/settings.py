"""Settings module (``settings/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

settings = Module("settings")

STREAMS = (
    settings.export("technicians", "export/technicians", scope="tn.stt.technicians:r"),
    settings.export("business_units", "export/business-units", scope="tn.stt.businessunits:r"),
    settings.export("employees", "export/employees", scope="tn.stt.employees:r"),
    settings.export("tag_types", "export/tag-types", scope="tn.stt.tagtypes:r"),
    settings.listing(
        "intacct_business_unit_mappings", "business-units/intacct", scope="tn.stt.businessunits:r"
    ),
    settings.listing("user_roles", "user-roles", scope="tn.stt.userroles:r", active=True),
)
