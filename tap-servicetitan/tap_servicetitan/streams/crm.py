"""CRM module (``crm/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

crm = Module("crm")

STREAMS = (
    crm.export("customers", "export/customers", scope="tn.crm.customers:r"),
    crm.export("customer_contacts", "export/customers/contacts", scope="tn.crm.customers:r"),
    crm.export("locations", "export/locations", scope="tn.crm.locations:r"),
    crm.export("location_contacts", "export/locations/contacts", scope="tn.crm.locations:r"),
    crm.export("bookings", "export/bookings", scope="tn.crm.bookings:r"),
    crm.export("leads", "export/leads", scope="tn.crm.leads:r"),
    crm.listing(
        "booking_provider_tags",
        "booking-provider-tags",
        scope="tn.crm.bookingprovidertags:r",
        incremental=True,
    ),
    crm.listing("contacts", "contacts", scope="tn.crm.contacts:r", incremental=True),
    crm.listing(
        "contact_methods", "contacts/contact-methods", scope="tn.crm.contacts:r", incremental=True
    ),
    crm.listing(
        "customers_custom_fields",
        "customers/custom-fields",
        scope="tn.crm.customers:r",
        incremental=True,
    ),
    crm.listing(
        "locations_custom_fields",
        "locations/custom-fields",
        scope="tn.crm.locations:r",
        incremental=True,
    ),
)
