"""Payroll module (``payroll/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

payroll = Module("payroll")

STREAMS = (
    payroll.export("activity_codes", "export/activity-codes", scope="tn.prl.activitycodes:r"),
    payroll.export("gross_pay_items", "export/gross-pay-items", scope="tn.prl.grosspayitems:r"),
    payroll.export("job_splits", "export/jobs/splits", scope="tn.prl.jobs:r"),
    payroll.export("job_timesheets", "export/jobs/timesheets", scope="tn.prl.jobs:r"),
    payroll.export(
        "payroll_adjustments", "export/payroll-adjustments", scope="tn.prl.payrolladjustments:r"
    ),
    payroll.export(
        "payroll_settings",
        "export/payroll-settings",
        scope="tn.prl.payrollsettings:r",
        keys=("employeeId",),
    ),
    payroll.export("timesheet_codes", "export/timesheet-codes", scope="tn.prl.timesheetcodes:r"),
    payroll.listing(
        "location_rates",
        "locations/rates",
        scope="tn.prl.locations:r",
        keys=(
            "locationId",
            "laborTypeCode",
        ),
        active=True,
    ),
    payroll.listing(
        "non_job_timesheets",
        "non-job-timesheets",
        scope="tn.prl.nonjobtimesheets:r",
        incremental=True,
        active=True,
    ),
    payroll.listing(
        "payrolls", "payrolls", scope="tn.prl.payrolls:r", incremental=True, active=True
    ),
)
