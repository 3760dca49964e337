"""CRM module: customers, locations and their contacts."""

from __future__ import annotations

from tap_servicetitan.client import ExportStream


class _CrmExport(ExportStream):
    module = "crm"


class CustomersStream(_CrmExport):
    name = "customers"
    path = "export/customers"
    scope = "tn.crm.customers:r"


class CustomerContactsStream(_CrmExport):
    """Every customer contact, deleted ones included (``active: false``)."""

    name = "customer_contacts"
    path = "export/customers/contacts"
    scope = "tn.crm.customers:r"


class LocationsStream(_CrmExport):
    name = "locations"
    path = "export/locations"
    scope = "tn.crm.locations:r"


class LocationContactsStream(_CrmExport):
    """Every location contact, deleted ones included (``active: false``)."""

    name = "location_contacts"
    path = "export/locations/contacts"
    scope = "tn.crm.locations:r"


STREAMS = (CustomersStream, CustomerContactsStream, LocationsStream, LocationContactsStream)
