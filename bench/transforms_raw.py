"""The raw rows of bench_transforms: every stream the st_* and KPI tables read.

At n customers, over DAYS days ending a few days before today (ids grow with
time, so the highest ids are the most recent rows):

    customers n, customer_contacts 2n, locations 1.2n, technicians 200,
    jobs 3n (3/4 completed; business unit, job type, campaign, noCharge),
    appointments 3n (one a job), invoices 3n (2% adjustments, 5% non-job,
    5% open), invoice_items 1-4 an invoice (income and other GL accounts,
    items of a second business unit, sold hours), gl_accounts 40,
    job_types 40, job_splits ~1.2 a job, appointment_assignments and
    job_timesheets ~1.33 an appointment, estimates n/2 (a third sold),
    calls 3n, costs 50 campaigns a month, memberships_export 0.3n with
    ~1.6 status changes each, payments one a paid invoice.

Columns are those target-postgres creates from the tap's schemas (camelCase,
objects as jsonb, arrays of objects as jsonb[], money as numeric); every row
carries tenant_id and the loader's _sdc_* times.
"""

from __future__ import annotations

import datetime as dt

from psycopg import sql

from servicetitan_catalog.raw_tables import RAW_TABLES
from servicetitan_catalog.streams import CORE_STREAMS

DAYS = 1000
TECHNICIANS = 200
BUSINESS_UNITS = 12
JOB_TYPES = 40
CAMPAIGNS = 50
GL_ACCOUNTS = 40
MEMBERSHIP_TYPES = 8

#: The raw tables the dbt project reads, and the core streams' (location_contacts too).
STREAMS = (*CORE_STREAMS, *(table.name for table in RAW_TABLES if table.name not in CORE_STREAMS))

# {sdc} is the loader's columns, {stamp} their values
FUNCTIONS = """
create function pg_temp.job_time(g bigint) returns timestamp language sql immutable as
$$ select {start} + (g * {days}::float8 / (3 * {n})) * interval '1 day' $$;
create function pg_temp.job_status(g bigint) returns text language sql immutable as
$$ select case when g % 8 = 0 then 'Canceled' when g % 4 = 0 then 'Scheduled'
    else 'Completed' end $$;
create function pg_temp.invoice_adjustment(g bigint) returns boolean language sql immutable as
$$ select g % 50 = 0 $$;
create function pg_temp.invoice_non_job(g bigint) returns boolean language sql immutable as
$$ select g % 20 = 10 $$;
create function pg_temp.invoice_sub(g bigint) returns numeric language sql immutable as
$$ select case when g % 50 = 0 then -(g % 200)::numeric else (g % 1000)::numeric end $$;
create function pg_temp.invoice_tax(g bigint) returns numeric language sql immutable as
$$ select case when g % 50 = 0 then 0 else 0.99 end $$;
-- open: the most recent 3% and one in fifty older ones
create function pg_temp.invoice_open(g bigint) returns boolean language sql immutable as
$$ select g > 3 * {n} - (9 * {n}) / 100 or g % 50 = 7 $$;
create function pg_temp.gl_type(a bigint) returns text language sql immutable as
$$ select case when a % 8 = 0 then 'Cost of Goods Sold' when a % 9 = 0 then 'Liability'
    when a % 10 = 3 then ' income ' else 'Income' end $$;
create function pg_temp.membership_status(g bigint) returns text language sql immutable as
$$ select case when g % 10 < 6 then 'Active' when g % 10 < 8 then 'Expired'
    when g % 10 = 8 then 'Canceled' else 'Suspended' end $$;
"""

FILL = """
insert into {raw}.customers (tenant_id, id, active, name, type, address, balance, "doNotMail",
    "doNotService", "createdOn", "modifiedOn", "mergedToId", {sdc})
select {tenant}, g, g % 17 <> 0, 'Customer ' || g, case when g % 5 = 0 then 'Commercial' end,
    jsonb_build_object('street', g || ' Main St', 'unit', null, 'city', 'City ' || g % 300,
        'state', 'CA', 'zip', lpad((g % 99999)::text, 5, '0'),
        'country', case when g % 3 = 0 then '' else 'USA' end),
    0, false, false, {start} - interval '2 years' + g * interval '1 minute',
    {start} + g * interval '1 second', null, {stamp}
from generate_series(1, {n}) as g;

insert into {raw}.customer_contacts (tenant_id, id, "customerId", type, value, active,
    "createdOn", "modifiedOn", {sdc})
select {tenant}, g, (g + 1) / 2, case when g % 2 = 0 then 'Email' else
    (case when g % 3 = 0 then 'MobilePhone' else 'Phone' end) end,
    case when g % 2 = 0 then 'c' || g || '@example.com' else '1-555-' || lpad(g::text, 7, '0') end,
    g % 11 <> 0, {start} - interval '2 years', {start}, {stamp}
from generate_series(1, 2 * {n}) as g;

insert into {raw}.locations (tenant_id, id, "customerId", active, name, address, "createdOn",
    "modifiedOn", {sdc})
select {tenant}, g, case when g <= {n} then g else g - {n} end, g % 13 <> 0,
    case when g % 4 = 0 then '' else 'Site ' || g end,
    jsonb_build_object('street', g || ' Service Rd', 'unit', null, 'city', 'Town',
        'state', 'TX', 'zip', '75001', 'country', 'USA', 'latitude', 32.7, 'longitude', -96.8),
    {start} - interval '2 years', {start}, {stamp}
from generate_series(1, ({n} * 6) / 5) as g;

insert into {raw}.technicians (tenant_id, id, "userId", name, active, "createdOn", "modifiedOn",
    {sdc})
select {tenant}, g, g, 'Tech ' || g, g % 50 <> 0, {start} - interval '2 years', {start}, {stamp}
from generate_series(1, {technicians}) as g;

insert into {raw}.gl_accounts (tenant_id, id, name, number, type, subtype, active,
    "isIntacctGroup", "isIntacctBankAccount", source, "createdOn", "modifiedOn", {sdc})
select {tenant}, a, 'Account ' || a, (4000 + a)::text, pg_temp.gl_type(a), 'Sales', a % 15 <> 0,
    false, false, 'Local', {start} - interval '2 years', {start}, {stamp}
from generate_series(1, {gl_accounts}) as a;

insert into {raw}.job_types (tenant_id, id, name, "businessUnitIds", priority, duration,
    "soldThreshold", class, summary, "noCharge", "invoiceSignaturesRequired", active,
    "isSmartDispatched", "defaultEstimateSoldAction", "createdOn", "modifiedOn", {sdc})
select {tenant}, a, 'Job type ' || a, array[a % {business_units} + 1], 'Normal', 7200,
    case when a % 5 <> 0 then (a % 4) * 50 end, 'Service', '', false, false, a % 11 <> 0,
    false, 'None', {start} - interval '2 years', {start}, {stamp}
from generate_series(1, {job_types}) as a;

insert into {raw}.jobs (tenant_id, id, "jobNumber", "customerId", "locationId", "jobStatus",
    "completedOn", "businessUnitId", "jobTypeId", "campaignId", priority, "noCharge",
    "appointmentCount", "firstAppointmentId", "lastAppointmentId", "invoiceId", total, active,
    summary, "createdOn", "modifiedOn", {sdc})
select {tenant}, g, g::text, (g - 1) % {n} + 1, (g - 1) % {n} + 1, pg_temp.job_status(g),
    case when pg_temp.job_status(g) = 'Completed'
        then pg_temp.job_time(g) + (g % 72 + 4) * interval '1 hour' end,
    g % {business_units} + 1, g % {job_types} + 1, g % {campaigns} + 1, 'Normal', g % 29 = 0,
    1, g, g, g, (g % 1000) + 0.5, g % 19 <> 0, 'Fix the thing number ' || g,
    pg_temp.job_time(g), pg_temp.job_time(g) + interval '4 days', {stamp}
from generate_series(1, 3 * {n}) as g;

insert into {raw}.appointments (tenant_id, id, "jobId", "customerId", status, start, "end",
    active, "createdOn", "modifiedOn", {sdc})
select {tenant}, g, g, (g - 1) % {n} + 1,
    case pg_temp.job_status(g) when 'Completed' then 'Done' when 'Canceled' then 'Canceled'
        else 'Scheduled' end,
    pg_temp.job_time(g) + (g % 72) * interval '1 hour',
    pg_temp.job_time(g) + (g % 72 + 2) * interval '1 hour', g % 61 <> 0,
    pg_temp.job_time(g), pg_temp.job_time(g) + interval '4 days', {stamp}
from generate_series(1, 3 * {n}) as g;

insert into {raw}.invoices (tenant_id, id, active, total, balance, "subTotal", "salesTax",
    customer, job, location, "businessUnit", "adjustmentToId", "invoiceConfiguration",
    "syncStatus", "invoiceDate", "dueDate", "sentStatus", "reviewStatus", "createdOn",
    "modifiedOn", {sdc})
select {tenant}, g, g % 23 <> 0, pg_temp.invoice_sub(g) + pg_temp.invoice_tax(g),
    case when pg_temp.invoice_open(g) then pg_temp.invoice_sub(g) + pg_temp.invoice_tax(g)
        else 0 end,
    pg_temp.invoice_sub(g), pg_temp.invoice_tax(g),
    jsonb_build_object('id', (g - 1) % {n} + 1, 'name', 'Customer ' || ((g - 1) % {n} + 1)),
    case when pg_temp.invoice_adjustment(g)
            then jsonb_build_object('id', g - 1, 'number', (g - 1)::text, 'type', 'Service')
        when not pg_temp.invoice_non_job(g)
            then jsonb_build_object('id', g, 'number', g::text, 'type', 'Service') end,
    jsonb_build_object('id', (g - 1) % {n} + 1, 'name', 'Site'),
    jsonb_build_object('id', g % {business_units} + 1, 'name', 'Unit ' || g % {business_units} + 1),
    case when pg_temp.invoice_adjustment(g) then g - 1 end,
    case when pg_temp.invoice_adjustment(g) or not pg_temp.invoice_non_job(g) then 'JobInvoice'
        when g % 140 = 10 then 'ARImportInvoice' else 'CounterSales' end,
    case g % 9 when 0 then 'Pending' when 1 then null else 'Posted' end,
    date_trunc('day', pg_temp.job_time(g)),
    case when g % 11 <> 0 then date_trunc('day', pg_temp.job_time(g)) + interval '30 days' end,
    'Sent', 'Approved', pg_temp.job_time(g), pg_temp.job_time(g) + interval '5 days', {stamp}
from generate_series(1, 3 * {n}) as g;

insert into {raw}.invoice_items (tenant_id, id, "invoiceId", description, quantity, price, total,
    type, "skuName", "skuId", inventory, taxable, "isChargeable", "generalLedgerAccount",
    "businessUnit", "soldHours", "displayName", "order", "membershipTypeId", "addOn", active,
    "createdOn", "modifiedOn", {sdc})
select {tenant}, g * 4 + k, g, 'Item ' || k, 1, item.total, item.total,
    case k when 1 then 'Service' when 2 then 'Material' else 'Equipment' end,
    'SKU' || (g + k) % 500, (g + k) % 500 + 1, false, true, true,
    case when g % 37 = 0 and k = m then null
        else jsonb_build_object('id', acct, 'name', 'Account ' || acct,
            'number', (4000 + acct)::text,
            'type', case when g % 13 <> 0 then pg_temp.gl_type(acct) end,
            'detailType', null) end,
    case when g % 17 = 0 then null
        when k = 2 then jsonb_build_object('id', (g + 5) % {business_units} + 1, 'name', 'Unit')
        else jsonb_build_object('id', g % {business_units} + 1, 'name', 'Unit') end,
    case when k = 1 then (g % 8 + 1) * 0.5 end, 'Item ' || k, k, 0, false,
    not (g % 31 = 0 and k = 2),
    pg_temp.job_time(g), pg_temp.job_time(g) + interval '5 days', {stamp}
from generate_series(1, 3 * {n}) as g
cross join lateral (select g % 4 + 1 as m, pg_temp.invoice_sub(g) as sub) as invoice
cross join lateral generate_series(1, invoice.m) as k
cross join lateral (
    select case when k = m then sub - (m - 1) * trunc(sub / m, 2) else trunc(sub / m, 2) end
        as total,
    (g + k) % {gl_accounts} + 1 as acct
) as item;

insert into {raw}.job_splits (tenant_id, id, "jobId", "technicianId", split, active, "createdOn",
    "modifiedOn", {sdc})
select {tenant}, g * 2 + s, g,
    case s when 0 then g % {technicians} + 1 else (g + 37) % {technicians} + 1 end,
    case when g % 3 <> 0 then 100 when s = 0 then 60 else 40 end, g % 43 <> 0,
    pg_temp.job_time(g), pg_temp.job_time(g) + interval '4 days', {stamp}
from generate_series(1, 3 * {n}) as g
cross join lateral generate_series(0, case when g % 10 = 0 then -1 when g % 3 = 0 then 1
    else 0 end) as s;

insert into {raw}.appointment_assignments (tenant_id, id, "technicianId", "technicianName",
    "assignedById", "assignedOn", status, "isPaused", "jobId", "appointmentId", active,
    "createdOn", "modifiedOn", {sdc})
select {tenant}, g * 2 + s, tech, 'Tech ' || tech, 1, pg_temp.job_time(g), 'Done', false, g, g,
    g % 47 <> 0, pg_temp.job_time(g), pg_temp.job_time(g) + interval '4 days', {stamp}
from generate_series(1, 3 * {n}) as g
cross join lateral generate_series(0, case when g % 3 = 0 then 1 else 0 end) as s
cross join lateral (
    select case s when 0 then g % {technicians} + 1 else (g + 37) % {technicians} + 1 end as tech
) as assigned;

insert into {raw}.job_timesheets (tenant_id, id, "jobId", "appointmentId", "technicianId",
    "dispatchedOn", "arrivedOn", "canceledOn", "doneOn", active, "createdOn", "modifiedOn", {sdc})
select {tenant}, g * 2 + s, g, g,
    case s when 0 then g % {technicians} + 1 else (g + 37) % {technicians} + 1 end,
    arrived - interval '30 minutes', arrived,
    case when pg_temp.job_status(g) = 'Canceled' then arrived + interval '10 minutes' end,
    case when pg_temp.job_status(g) = 'Completed' and g % 25 <> 0
        then arrived + (g % 5 + 1) * interval '30 minutes' end,
    g % 53 <> 0, arrived, arrived + interval '4 days', {stamp}
from generate_series(1, 3 * {n}) as g
cross join lateral generate_series(0, case when g % 3 = 0 then 1 else 0 end) as s
cross join lateral (
    select pg_temp.job_time(g) + (g % 72) * interval '1 hour' + (g % 30) * interval '1 minute'
        as arrived
) as sheet
where pg_temp.job_status(g) <> 'Scheduled';

insert into {raw}.estimates (tenant_id, id, "jobId", "customerId", "locationId", name,
    "jobNumber", status, "reviewStatus", summary, "soldOn", "soldBy", subtotal, tax,
    "businessUnitId", "isRecommended", "isChangeOrder", active, "createdOn", "modifiedOn", {sdc})
select {tenant}, g, 6 * g, (6 * g - 1) % {n} + 1, (6 * g - 1) % {n} + 1, 'Estimate ' || g,
    (6 * g)::text,
    case g % 3 when 0 then jsonb_build_object('value', 1, 'name', 'Sold')
        when 1 then jsonb_build_object('value', 0, 'name', 'Open')
        else jsonb_build_object('value', 2, 'name', 'Dismissed') end,
    'None', 'Estimate for job ' || 6 * g,
    case when g % 3 = 0 then pg_temp.job_time(6 * g) + interval '1 day' end,
    case when g % 3 = 0 and g % 9 <> 0 then (6 * g) % {technicians} + 1 end,
    (g % 2000) + 50.25, 8,
    case when g % 5 <> 0 then (6 * g) % {business_units} + 1 end, false, false, g % 37 <> 0,
    pg_temp.job_time(6 * g), pg_temp.job_time(6 * g) + interval '2 days', {stamp}
from generate_series(1, {n} / 2) as g;

insert into {raw}.calls (tenant_id, id, duration, "from", "to", direction, status, type,
    "createdOn", "modifiedOn", customer, campaign, job, "excuseMemo", tag, active, {sdc})
select {tenant}, g, '00:0' || g % 10 || ':00', '1-555-' || lpad(g::text, 7, '0'), '1-555-0000000',
    case when g % 5 = 0 then 'Outbound' else 'Inbound' end, 'Completed', call.type,
    pg_temp.job_time(g) - (g % 60) * interval '1 minute',
    pg_temp.job_time(g) + interval '1 day',
    jsonb_build_object('id', (g - 1) % {n} + 1, 'name', 'Customer'),
    case when g % 23 <> 0
        then jsonb_build_object('id', g % {campaigns} + 1, 'name', 'Campaign') end,
    case when call.type = 'Booked' then jsonb_build_object('id', g, 'number', g::text) end,
    '', '', g % 59 <> 0, {stamp}
from generate_series(1, 3 * {n}) as g
cross join lateral (
    select case g % 4 when 0 then 'Booked' when 1 then 'Unbooked' when 2 then 'Excused' end
        as type
) as call;

insert into {raw}.costs (tenant_id, id, year, month, "dailyCost", "campaignId", {sdc})
select {tenant}, c * 10000 + d * 1000 + i, extract(year from first_day),
    extract(month from first_day),
    case when c % 9 = 0 then 0 else (c % 7 + 1) * 12.5 + d end, c, {stamp}
from generate_series(1, {campaigns}) as c
cross join generate_series(0, {months}) as i
cross join lateral generate_series(0, case when c % 10 = 0 then 1 else 0 end) as d
cross join lateral (select date_trunc('month', {start}) + i * interval '1 month' as first_day)
    as cost_month;

insert into {raw}.memberships_export (tenant_id, id, "customerId", "locationId", status, active,
    "businessUnitId", "membershipTypeId", "from", "to", "billingFrequency", "followUpStatus",
    "initialDeferredRevenue", duration, "followUpOn", "createdOn", "modifiedOn", {sdc})
select {tenant}, g, (3 * g - 1) % {n} + 1, (3 * g - 1) % {n} + 1, pg_temp.membership_status(g),
    g % 41 <> 0, g % {business_units} + 1, g % {membership_types} + 1,
    created, created + interval '1 year', 'Monthly', 'NotAttempted', 0, 12,
    created + interval '11 months', created, created + interval '1 day', {stamp}
from generate_series(1, (3 * {n}) / 10) as g
cross join lateral (
    select {start} + (g * {days}::float8 / ((3 * {n}) / 10)) * interval '1 day' as created
) as membership;

insert into {raw}.membership_status_changes (tenant_id, id, "membershipId", "oldStatus",
    "newStatus", note, "createdOn", "createdById", {msc_active_column} {sdc})
select {tenant}, g * 3 + s, g, case s when 0 then 'Unknown' else 'Active' end,
    case s when 0 then 'Active' else pg_temp.membership_status(g) end, null,
    case when s = 0 then created
        when created + (120 + g % 240) * interval '1 day' < {start} + {days} * interval '1 day'
            then created + (120 + g % 240) * interval '1 day'
        else created + ({start} + {days} * interval '1 day' - created) / 2 end,
    1, {msc_active_fill} {stamp}
from generate_series(1, (3 * {n}) / 10) as g
cross join lateral generate_series(0, case when g % 15 = 0 then -1
    when pg_temp.membership_status(g) = 'Active' then 0 else 1 end) as s
cross join lateral (
    select {start} + (g * {days}::float8 / ((3 * {n}) / 10)) * interval '1 day' as created
) as membership;

insert into {raw}.payments (tenant_id, id, "appliedTo", total, "unappliedAmount", type, "typeId",
    "syncStatus", customer, "businessUnit", "referenceNumber", memo, active, date, "createdOn",
    "modifiedOn", {sdc})
select {tenant}, g,
    case when g % 7 = 0 then array[
            jsonb_build_object('appliedTo', g, 'appliedAmount', trunc(amount / 2, 2),
                'appliedOn', paid, 'appliedBy', 'Office'),
            jsonb_build_object('appliedTo', g, 'appliedAmount', amount - trunc(amount / 2, 2),
                'appliedOn', paid + interval '1 day', 'appliedBy', 'Office')]
        when g % 97 = 0 then array[
            jsonb_build_object('appliedTo', g, 'appliedAmount', amount, 'appliedOn', paid,
                'appliedBy', 'Office'),
            jsonb_build_object('appliedTo', null, 'appliedAmount', 5, 'appliedOn', paid,
                'appliedBy', 'Office')]
        else array[jsonb_build_object('appliedTo', g, 'appliedAmount', amount,
            'appliedOn', paid, 'appliedBy', 'Office')] end,
    amount, 0, 'Credit Card', '1', 'Posted',
    jsonb_build_object('id', (g - 1) % {n} + 1, 'name', 'Customer'),
    jsonb_build_object('id', g % {business_units} + 1, 'name', 'Unit'), g::text, '',
    g % 67 <> 0, paid, paid, paid + interval '1 day', {stamp}
from generate_series(1, 3 * {n}) as g
cross join lateral (
    select pg_temp.invoice_sub(g) + pg_temp.invoice_tax(g) as amount,
        pg_temp.job_time(g) + (g % 20) * interval '1 day' as paid
) as payment
where not pg_temp.invoice_open(g) and not pg_temp.invoice_adjustment(g)
    and pg_temp.invoice_sub(g) > 0;
"""

# What a load of 1% changed rows writes: (stream, new values, which 1%: id % 100 = this).
# The modification time moves too (the incremental streams' bookmark).
CHANGES = (
    ("customers", "name = name || ' (renamed)'", 7),
    ("customer_contacts", "active = not active", 3),
    ("locations", '"customerId" = "customerId" % {n} + 1', 5),
    (
        "jobs",
        '"customerId" = "customerId" % {n} + 1, "jobStatus" = \'Completed\', '
        '"completedOn" = coalesce("completedOn", "createdOn" + interval \'5 hours\')',
        11,
    ),
    ("invoices", "balance = 0", 13),
    ("appointments", "status = 'Canceled'", 17),
    (
        "estimates",
        "status = jsonb_build_object('value', 1, 'name', 'Sold'), "
        '"soldOn" = coalesce("soldOn", "createdOn" + interval \'1 day\'), '
        '"soldBy" = coalesce("soldBy", id % {technicians} + 1)',
        19,
    ),
    ("invoice_items", "total = total + 1", 23),
    ("gl_accounts", "name = name || ' (renamed)'", 7),
    ("job_types", '"soldThreshold" = coalesce("soldThreshold", 0) + 25', 3),
    ("job_splits", "split = split + 10", 29),
    ("appointment_assignments", "active = not active", 31),
    ("job_timesheets", '"doneOn" = "arrivedOn" + interval \'45 minutes\'', 37),
    (
        "calls",
        "type = case when type = 'Unbooked' then 'Booked' else type end, "
        "job = coalesce(job, jsonb_build_object('id', id, 'number', id::text))",
        41,
    ),
    ("memberships_export", "status = 'Canceled'", 43),
    ("payments", "active = not active", 47),
)

# a membership's cancellation is a new status change (s = 2 is free in the ids)
NEW_STATUS_CHANGES = """
insert into {raw}.membership_status_changes (tenant_id, id, "membershipId", "oldStatus",
    "newStatus", "createdOn", "createdById", {msc_active_column} {sdc})
select tenant_id, id * 3 + 2, id, 'Active', 'Canceled', {start} + {days} * interval '1 day', 1,
    {msc_active_new} {stamp}
from {raw}.memberships_export
where {picked};
"""

# costs is a listing without a bookmark: every load writes all of its rows again
RELOADED = ("costs",)


def placeholders(
    raw: str, tenant: int, customers: int, *, status_changes_active: bool
) -> dict[str, sql.Composable]:
    """The values of FUNCTIONS, FILL and the changes."""
    end = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=5)
    start = end - dt.timedelta(days=DAYS)
    months = (end.year - start.year) * 12 + end.month - start.month
    loaded = sql.SQL("(clock_timestamp() at time zone 'UTC')")
    return {
        "raw": sql.Identifier(raw),
        "n": sql.Literal(customers),
        "tenant": sql.Literal(tenant),
        "start": sql.SQL("timestamp {}").format(sql.Literal(start.isoformat())),
        "days": sql.Literal(DAYS),
        "months": sql.Literal(months),
        "technicians": sql.Literal(TECHNICIANS),
        "business_units": sql.Literal(BUSINESS_UNITS),
        "job_types": sql.Literal(JOB_TYPES),
        "campaigns": sql.Literal(CAMPAIGNS),
        "gl_accounts": sql.Literal(GL_ACCOUNTS),
        "membership_types": sql.Literal(MEMBERSHIP_TYPES),
        "loaded": loaded,
        "sdc": sql.SQL("_sdc_extracted_at, _sdc_received_at, _sdc_batched_at"),
        "stamp": sql.SQL(", ").join([loaded] * 3),
        # the tap's schema of membership_status_changes may have no active field
        "msc_active_column": sql.SQL("active," if status_changes_active else ""),
        "msc_active_fill": sql.SQL("(g * 3 + s) % 71 <> 0," if status_changes_active else ""),
        "msc_active_new": sql.SQL("true," if status_changes_active else ""),
    }


def picked(raw: str, stream: str, remainder: int, pattern: str) -> sql.Composable:
    """Which 1% of a stream's rows change: spread over all of them, or the most recent."""
    if pattern == "spread":
        return sql.SQL("id % 100 = {}").format(sql.Literal(remainder))
    return sql.SQL("id > (select max(id) - (max(id) - min(id)) / 100 from {}.{})").format(
        sql.Identifier(raw), sql.Identifier(stream)
    )


def changes(raw: str, values: dict[str, sql.Composable], pattern: str) -> list[sql.Composable]:
    """The statements of a load that changes 1% of the rows of every stream."""
    statements: list[sql.Composable] = []
    for stream, assignments, remainder in CHANGES:
        statements.append(
            sql.SQL(
                "update {raw}.{stream} set {assignments}, _sdc_batched_at = {loaded} where {picked}"
            ).format(
                raw=values["raw"],
                stream=sql.Identifier(stream),
                assignments=sql.SQL(assignments).format(**values),
                loaded=values["loaded"],
                picked=picked(raw, stream, remainder, pattern),
            )
        )
    statements.append(
        sql.SQL(NEW_STATUS_CHANGES).format(
            **values, picked=picked(raw, "memberships_export", 43, pattern)
        )
    )
    for stream in RELOADED:
        statements.append(
            sql.SQL("update {}.{} set _sdc_batched_at = {}").format(
                values["raw"], sql.Identifier(stream), values["loaded"]
            )
        )
    return statements
