"""Every stream of the tap, one row each: what it reads, its key, how it is incremental.

A row names the stream, its API module and the endpoint's path under
``{api_url}/<module>/v2/tenant/{tenant}/``, the OAuth scope, and where they
differ from the usual the key, the bookmark and the ``active`` filter. Three
kinds of endpoint:

- :data:`EXPORT`: an export feed (``export/...``): every record, deletions
  included, resumed by its ``continueFrom`` token; ``replication_key`` is the
  bookmark users see (``createdOn`` for logs whose entries never change, None
  where records carry no date).
- :data:`LIST`: a list endpoint read page by page, ``incremental`` by
  ``modifiedOnOrAfter`` or read whole each run.
- :data:`CUSTOM`: not a collection (a report over date windows, a single
  answer); the tap has a class of its own for how it is read.

``core``: the st_* tables are built from it; ``selected``: in the default
selection (meltano.yml's ``select``, generated from these rows) beside the
core. The tap builds its stream classes from these rows; the schema of each is
``tap_servicetitan/schemas/<name>.json``, generated from the API reference.
"""

from __future__ import annotations

from dataclasses import dataclass

EXPORT = "export"
LIST = "list"
CUSTOM = "custom"

#: The key of almost every ServiceTitan record.
ID = ("id",)

#: The tap's own stream of the API's record counts (tap_servicetitan/reconciliation.py):
#: selected by default, read from no endpoint of its own.
RECORD_COUNTS = "record_counts"


@dataclass(frozen=True)
class Stream:
    """One tenant-wide stream."""

    name: str
    module: str
    path: str
    scope: str
    kind: str
    keys: tuple[str, ...] = ID
    replication_key: str | None = None
    #: The endpoint takes an ``active`` filter: the stream asks for ``Any``.
    active: bool = False
    method: str = "GET"
    #: What identifies a record whose key field is null (the tap hashes them).
    surrogate_basis: tuple[str, ...] = ()
    core: bool = False
    selected: bool = False

    @property
    def endpoint(self) -> str:
        """``module/path``, as the docs and the API reference's URLs name it."""
        return f"{self.module}/{self.path}"


@dataclass(frozen=True)
class Module:
    """One API module (``{api_url}/{path}/v2/tenant/{tenant}/``): its rows' maker."""

    path: str

    def export(
        self,
        name: str,
        resource: str,
        scope: str,
        *,
        keys: tuple[str, ...] = ID,
        replication_key: str | None = "modifiedOn",
        active: bool = False,
        core: bool = False,
        selected: bool = False,
    ) -> Stream:
        """An export feed."""
        return Stream(
            name, self.path, resource, scope, EXPORT, keys, replication_key, active,
            core=core, selected=selected or core,
        )  # fmt: skip

    def listing(
        self,
        name: str,
        resource: str,
        scope: str,
        *,
        keys: tuple[str, ...] = ID,
        incremental: bool = False,
        active: bool = False,
        surrogate_basis: tuple[str, ...] = (),
        selected: bool = False,
    ) -> Stream:
        """A list endpoint, ``incremental`` by ``modifiedOnOrAfter`` or read whole."""
        replication_key = "modifiedOn" if incremental else None
        return Stream(
            name, self.path, resource, scope, LIST, keys, replication_key, active,
            surrogate_basis=surrogate_basis, selected=selected,
        )  # fmt: skip

    def custom(
        self,
        name: str,
        resource: str,
        scope: str,
        *,
        keys: tuple[str, ...],
        method: str = "GET",
        surrogate_basis: tuple[str, ...] = (),
    ) -> Stream:
        """An endpoint the tap reads with a class of its own (windows.py)."""
        return Stream(
            name, self.path, resource, scope, CUSTOM, keys, method=method,
            surrogate_basis=surrogate_basis,
        )  # fmt: skip


#: An ad performance row of a campaign the ads platform alone knows (no campaign id).
ADS_NO_CAMPAIGN = ("date", "campaign.externalId", "campaign.name", "adGroup.id", "keyword.id")

crm = Module("crm")
jpm = Module("jpm")
accounting = Module("accounting")
sales = Module("sales")
settings = Module("settings")
customer_interactions = Module("customer-interactions")
dispatch = Module("dispatch")
equipmentsystems = Module("equipmentsystems")
findings = Module("findings")
forms = Module("forms")
inventory = Module("inventory")
jbce = Module("jbce")
marketing = Module("marketing")
marketingads = Module("marketingads")
marketingreputation = Module("marketingreputation")
memberships = Module("memberships")
payroll = Module("payroll")
pricebook = Module("pricebook")
reporting = Module("reporting")
schedulingpro = Module("schedulingpro")
service_agreements = Module("service-agreements")
taskmanagement = Module("taskmanagement")
telecom = Module("telecom")
timesheets = Module("timesheets")

STREAMS: tuple[Stream, ...] = (
    # crm
    crm.export("customers", "export/customers", "tn.crm.customers:r", core=True),
    crm.export("customer_contacts", "export/customers/contacts", "tn.crm.customers:r", core=True),
    crm.export("locations", "export/locations", "tn.crm.locations:r", core=True),
    crm.export("location_contacts", "export/locations/contacts", "tn.crm.locations:r", core=True),
    crm.export("bookings", "export/bookings", "tn.crm.bookings:r", selected=True),
    crm.export("leads", "export/leads", "tn.crm.leads:r", selected=True),
    crm.listing("booking_provider_tags", "booking-provider-tags", "tn.crm.bookingprovidertags:r", incremental=True),
    crm.listing("contacts", "contacts", "tn.crm.contacts:r", incremental=True),
    crm.listing("contact_methods", "contacts/contact-methods", "tn.crm.contacts:r", incremental=True),
    crm.listing("customers_custom_fields", "customers/custom-fields", "tn.crm.customers:r", incremental=True),
    crm.listing("locations_custom_fields", "locations/custom-fields", "tn.crm.locations:r", incremental=True),
    # jpm
    jpm.export("jobs", "export/jobs", "tn.jpm.jobs:r", core=True),
    jpm.export("appointments", "export/appointments", "tn.jpm.appointments:r", active=True, core=True),
    jpm.export("job_canceled_logs", "export/job-canceled-logs", "tn.jpm.jobcanceledlogs:r", replication_key="createdOn"),
    jpm.export("job_history", "export/job-history", "tn.jpm.jobhistory:r", keys=("jobId",), replication_key=None),
    jpm.export("job_notes", "export/job-notes", "tn.jpm.jobnotes:r"),
    jpm.export("project_notes", "export/project-notes", "tn.jpm.projectnotes:r"),
    jpm.export("projects", "export/projects", "tn.jpm.projects:r", selected=True),
    jpm.listing("job_cancel_reasons", "job-cancel-reasons", "tn.jpm.jobcancelreasons:r", incremental=True, active=True),
    jpm.listing("job_custom_fields", "jobs/custom-fields", "tn.jpm.jobs:r", incremental=True),
    jpm.listing("job_hold_reasons", "job-hold-reasons", "tn.jpm.jobholdreasons:r", incremental=True, active=True),
    jpm.listing("job_types", "job-types", "tn.jpm.jobtypes:r", incremental=True, active=True, selected=True),
    jpm.listing("project_custom_fields", "projects/custom-fields", "tn.jpm.projects:r", incremental=True),
    jpm.listing("project_statuses", "project-statuses", "tn.jpm.projectstatuses:r", incremental=True),
    jpm.listing("project_sub_statuses", "project-substatuses", "tn.jpm.projectsubstatuses:r", incremental=True, active=True),
    jpm.listing("project_types", "project-types", "tn.jpm.projecttypes:r"),
    jpm.listing("wbs_budget_codes", "work-breakdown-structure/budget-codes", "tn.jpm.budgetcodes:r"),
    jpm.listing("wbs_segments", "work-breakdown-structure/segments", "tn.jpm.segments:r"),
    # accounting
    accounting.export("invoices", "export/invoices", "tn.acc.invoices:r", core=True),
    accounting.export("inventory_bills", "export/inventory-bills", "tn.acc.inventorybills:r"),
    accounting.export("invoice_items", "export/invoice-items", "tn.acc.invoiceitems:r", selected=True),
    accounting.export("payments", "export/payments", "tn.acc.payments:r", selected=True),
    accounting.listing("ap_bills", "ap-bills", "tn.acc.apbills:r", incremental=True),
    accounting.listing("ap_bills_custom_fields", "ap-bills/custom-fields", "tn.acc.apbills:r", incremental=True),
    accounting.listing("ap_credits", "ap-credits", "tn.acc.apcredits:r", incremental=True),
    accounting.listing("ap_credits_custom_fields", "ap-credits/custom-fields", "tn.acc.apcredits:r", incremental=True),
    accounting.listing("ap_payments", "ap-payments", "tn.acc.appayments:r", incremental=True),
    accounting.listing("ap_payments_custom_fields", "ap-payments/custom-fields", "tn.acc.appayments:r", incremental=True),
    accounting.listing("bank_deposits", "bank-deposits", "tn.acc.bankdeposits:r", incremental=True),
    accounting.listing("credit_memos", "credit-memos", "tn.acc.creditmemos:r", incremental=True, active=True),
    accounting.listing("credit_memo_items", "credit-memos/credit-memo-items", "tn.acc.creditmemos:r", active=True),
    accounting.listing("credit_memos_custom_fields", "credit-memos/custom-fields", "tn.acc.creditmemos:r", incremental=True),
    accounting.listing("gl_account_types", "gl-accounts/types", "tn.acc.glaccounts:r", incremental=True, active=True),
    accounting.listing("gl_accounts", "gl-accounts", "tn.acc.glaccounts:r", incremental=True, active=True, selected=True),
    accounting.listing("inventory_bills_custom_fields", "inventory-bills/custom-fields", "tn.acc.inventorybills:r", incremental=True),
    accounting.listing("invoices_custom_fields", "invoices/custom-fields", "tn.acc.invoices:r", incremental=True),
    accounting.listing("journal_entries", "journal-entries", "tn.acc.journalentries:r", incremental=True),
    accounting.listing("payment_terms", "payment-terms", "tn.acc.paymentterms:r", incremental=True),
    accounting.listing("payment_types", "payment-types", "tn.acc.paymenttypes:r", active=True),
    accounting.listing("payments_custom_fields", "payments/custom-fields", "tn.acc.payments:r", incremental=True),
    accounting.listing("remittance_vendors", "remittance-vendors", "tn.acc.remittancevendors:r", incremental=True, active=True),
    accounting.listing("tax_zones", "tax-zones", "tn.acc.taxzones:r", incremental=True, active=True),
    # sales
    sales.export("estimates", "export/estimates", "tn.sal.estimates:r", core=True),
    sales.listing("estimate_items", "estimates/items", "tn.sal.estimates:r", incremental=True, active=True),
    sales.listing("estimate_templates", "estimate-templates", "tn.sal.estimatetemplates:r", incremental=True, active=True),
    sales.listing("proposal_templates", "proposal-templates", "tn.sal.proposaltemplates:r", incremental=True, active=True),
    sales.listing("proposal_types", "proposal-types", "tn.sal.proposaltypes:r", active=True),
    # settings
    settings.export("technicians", "export/technicians", "tn.stt.technicians:r", core=True),
    settings.export("business_units", "export/business-units", "tn.stt.businessunits:r", selected=True),
    settings.export("employees", "export/employees", "tn.stt.employees:r", selected=True),
    settings.export("tag_types", "export/tag-types", "tn.stt.tagtypes:r"),
    settings.listing("intacct_business_unit_mappings", "business-units/intacct", "tn.stt.businessunits:r"),
    settings.listing("user_roles", "user-roles", "tn.stt.userroles:r", active=True),
    # customer-interactions
    customer_interactions.export("technician_ratings", "export/technician-ratings", "tn.csi.technicianrating:r", keys=("technicianId", "jobId")),
    # dispatch
    dispatch.export("appointment_assignments", "export/appointment-assignments", "tn.dis.appointmentassignments:r", active=True, selected=True),
    dispatch.listing("arrival_windows", "arrival-windows", "tn.dis.arrivalwindows:r", active=True),
    dispatch.listing("non_job_appointments", "non-job-appointments", "tn.dis.nonjobappointments:r", incremental=True),
    dispatch.listing("teams", "teams", "tn.dis.teams:r", incremental=True),
    dispatch.listing("technician_shifts", "technician-shifts", "tn.dis.technicianshifts:r", incremental=True, active=True),
    dispatch.listing("technician_skills", "technician-skills", "tn.dis.technicianskills:r", incremental=True, active=True),
    dispatch.listing("zones", "zones", "tn.dis.zones:r", incremental=True, active=True),
    dispatch.custom("business_hours", "business-hours", "tn.dis.businesshours:r", keys=("tenant_id",)),
    dispatch.custom("capacities", "capacity", "tn.dis.capacity:w", keys=("startUtc", "endUtc", "businessUnitKey"), method="POST"),
    # equipmentsystems
    equipmentsystems.export("installed_equipment", "export/installed-equipment", "tn.eqs.installedequipment:r"),
    equipmentsystems.listing("equipment_types", "equipment-types", "tn.eqs.equipmenttypes:r", incremental=True, active=True),
    equipmentsystems.listing("installed_equipment_custom_field_types", "installed-equipment/custom-field-types", "tn.eqs.installedequipment:r"),
    # findings
    findings.listing("location_findings", "location-findings", "tn.fdgs.locationfindings:r", incremental=True, active=True),
    # forms
    forms.listing("forms", "forms", "tn.frm.forms:r", incremental=True, active=True),
    forms.listing("submissions", "submissions", "tn.frm.submissions:r", active=True),
    # inventory
    inventory.export("adjustments", "export/adjustments", "tn.inv.adjustments:r"),
    inventory.export("purchase_orders", "export/purchase-orders", "tn.inv.purchaseorders:r"),
    inventory.export("returns", "export/returns", "tn.inv.returns:r"),
    inventory.export("transfers", "export/transfers", "tn.inv.transfers:r"),
    inventory.listing("inventory_templates", "inventory-templates", "tn.inv.inventorytemplates:r", incremental=True, active=True),
    inventory.listing("purchase_order_markups", "purchase-order-markups", "tn.inv.purchaseordermarkups:r", incremental=True),
    inventory.listing("purchase_order_types", "purchase-order-types", "tn.inv.purchaseordertypes:r", incremental=True, active=True),
    inventory.listing("purchase_order_requests", "purchase-orders/requests", "tn.inv.purchaseorders:r", incremental=True),
    inventory.listing("receipts", "receipts", "tn.inv.receipts:r", incremental=True, active=True),
    inventory.listing("return_types", "return-types", "tn.inv.returntypes:r", incremental=True),
    inventory.listing("trucks", "trucks", "tn.inv.trucks:r", incremental=True, active=True),
    inventory.listing("vendors", "vendors", "tn.inv.vendors:r", incremental=True, active=True),
    inventory.listing("vendors_custom_fields", "vendors/custom-fields", "tn.inv.vendors:r", incremental=True),
    inventory.listing("warehouses", "warehouses", "tn.inv.warehouses:r", incremental=True, active=True),
    # jbce
    jbce.listing("call_reasons", "call-reasons", "tn.jbce.callreasons:r", incremental=True, active=True),
    # marketing
    marketing.listing("campaigns", "campaigns", "tn.mrk.campaigns:r", incremental=True, active=True, selected=True),
    marketing.listing("costs", "costs", "tn.mrk.costs:r", selected=True),
    marketing.listing("marketing_categories", "categories", "tn.mrk.categories:r", incremental=True),
    marketing.custom("campaign_cost_summary", "campaign-cost-summary", "tn.mrk.campaigncostsummary:r", keys=("month", "campaignId")),
    marketing.custom("email_channel_cost", "email-channel-cost", "tn.mrk.emailchannelcost:r", keys=("month",)),
    # marketingads
    marketingads.custom("performance", "performance", "tn.mads.performance:r", keys=("date", "campaignId"), surrogate_basis=ADS_NO_CAMPAIGN),
    marketingads.custom("ad_group_performance", "performance", "tn.mads.performance:r", keys=("date", "campaignId", "adGroupId"), surrogate_basis=ADS_NO_CAMPAIGN),
    marketingads.custom("keyword_performance", "performance", "tn.mads.performance:r", keys=("date", "campaignId", "adGroupId", "keywordId"), surrogate_basis=ADS_NO_CAMPAIGN),
    marketingads.custom("attributed_leads", "attributed-leads", "tn.mads.attributedleads:r", keys=("leadType", "leadId")),
    marketingads.custom("capacity_warnings", "capacity-warnings", "tn.mads.capacitywarnings:r", keys=("campaignName", "warningType")),
    # marketingreputation
    marketingreputation.listing("reviews", "reviews", "tn.mrep.reviews:r", keys=("externalId", "platform"), incremental=True, surrogate_basis=("platform", "authorName", "authorEmail", "publishDate", "jobId")),
    # memberships
    memberships.export("invoice_templates", "export/invoice-templates", "tn.mem.invoicetemplates:r"),
    memberships.export("membership_status_changes", "export/membership-status-changes", "tn.mem.memberships:r", replication_key="createdOn", selected=True),
    memberships.export("membership_types", "export/membership-types", "tn.mem.membershiptypes:r", selected=True),
    memberships.export("memberships_export", "export/memberships", "tn.mem.memberships:r", selected=True),
    memberships.export("recurring_service_events", "export/recurring-service-events", "tn.mem.recurringserviceevents:r"),
    memberships.export("recurring_service_types", "export/recurring-service-types", "tn.mem.recurringservicetypes:r"),
    memberships.export("recurring_services", "export/recurring-services", "tn.mem.recurringservices:r"),
    memberships.listing("membership_custom_fields", "memberships/custom-fields", "tn.mem.memberships:r", incremental=True),
    # payroll
    payroll.export("activity_codes", "export/activity-codes", "tn.prl.activitycodes:r"),
    payroll.export("gross_pay_items", "export/gross-pay-items", "tn.prl.grosspayitems:r"),
    payroll.export("job_splits", "export/jobs/splits", "tn.prl.jobs:r", selected=True),
    payroll.export("job_timesheets", "export/jobs/timesheets", "tn.prl.jobs:r", selected=True),
    payroll.export("payroll_adjustments", "export/payroll-adjustments", "tn.prl.payrolladjustments:r"),
    payroll.export("payroll_settings", "export/payroll-settings", "tn.prl.payrollsettings:r", keys=("employeeId",)),
    payroll.export("timesheet_codes", "export/timesheet-codes", "tn.prl.timesheetcodes:r"),
    payroll.listing("location_rates", "locations/rates", "tn.prl.locations:r", keys=("locationId", "laborTypeCode"), active=True),
    payroll.listing("non_job_timesheets", "non-job-timesheets", "tn.prl.nonjobtimesheets:r", incremental=True, active=True, selected=True),
    payroll.listing("payrolls", "payrolls", "tn.prl.payrolls:r", incremental=True, active=True),
    # pricebook
    pricebook.export("categories", "export/categories", "tn.pb.categories:r"),
    pricebook.export("export_equipment", "export/equipment", "tn.pb.equipment:r"),
    pricebook.export("export_materials", "export/materials", "tn.pb.materials:r"),
    pricebook.export("export_services", "export/services", "tn.pb.services:r"),
    pricebook.listing("client_specific_pricing", "clientspecificpricing", "tn.pb.csp:r", active=True),
    pricebook.listing("discounts_and_fees", "discounts-and-fees", "tn.pb.discountsandfees:r", incremental=True, active=True),
    pricebook.listing("material_cost_types", "materials/costtypes", "tn.pb.materials:r"),
    pricebook.listing("materials_markup", "materialsmarkup", "tn.pb.materials:r"),
    # reporting
    reporting.listing("report_categories", "report-categories", "tn.rpr.reportcategories:r"),
    # schedulingpro
    schedulingpro.listing("schedulers", "schedulers", "tn.sp.schedulers:r", incremental=True),
    # service-agreements
    service_agreements.export("service_agreements", "export/service-agreements", "tn.sa.serviceagreements:r"),
    # taskmanagement
    taskmanagement.listing("tasks", "tasks", "tn.tsm.tasks:r", incremental=True, active=True),
    # telecom
    telecom.export("calls", "export/calls", "tn.tlc.calls:r", selected=True),
    # timesheets
    timesheets.export("activities", "export/activities", "tn.tms.activities:r"),
    timesheets.export("activity_categories", "export/activity-categories", "tn.tms.activitycategories:r"),
    timesheets.export("activity_types", "export/activity-types", "tn.tms.activitytypes:r"),
)  # fmt: skip


#: The streams the st_* tables are built from.
CORE_STREAMS = tuple(stream.name for stream in STREAMS if stream.core)

#: What meltano.yml selects: the core, the tables of the common reports, every stream
#: the KPI tables read (docs/kpi-tables.md), and the API's own counts of them.
DEFAULT_SELECTION = (*(stream.name for stream in STREAMS if stream.selected), RECORD_COUNTS)
