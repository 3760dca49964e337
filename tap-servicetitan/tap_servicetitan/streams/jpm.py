"""Job Planning and Management module (``jpm/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

jpm = Module("jpm")

STREAMS = (
    jpm.export("jobs", "export/jobs", scope="tn.jpm.jobs:r"),
    jpm.export("appointments", "export/appointments", scope="tn.jpm.appointments:r", active=True),
    jpm.export(
        "job_canceled_logs",
        "export/job-canceled-logs",
        scope="tn.jpm.jobcanceledlogs:r",
        replication_key="createdOn",
    ),
    jpm.export(
        "job_history",
        "export/job-history",
        scope="tn.jpm.jobhistory:r",
        keys=("jobId",),
        replication_key=None,
    ),
    jpm.export("job_notes", "export/job-notes", scope="tn.jpm.jobnotes:r"),
    jpm.export("project_notes", "export/project-notes", scope="tn.jpm.projectnotes:r"),
    jpm.export("projects", "export/projects", scope="tn.jpm.projects:r"),
    jpm.listing(
        "job_cancel_reasons",
        "job-cancel-reasons",
        scope="tn.jpm.jobcancelreasons:r",
        incremental=True,
        active=True,
    ),
    jpm.listing("job_custom_fields", "jobs/custom-fields", scope="tn.jpm.jobs:r", incremental=True),
    jpm.listing(
        "job_hold_reasons",
        "job-hold-reasons",
        scope="tn.jpm.jobholdreasons:r",
        incremental=True,
        active=True,
    ),
    jpm.listing("job_types", "job-types", scope="tn.jpm.jobtypes:r", incremental=True, active=True),
    jpm.listing(
        "project_custom_fields",
        "projects/custom-fields",
        scope="tn.jpm.projects:r",
        incremental=True,
    ),
    jpm.listing(
        "project_statuses", "project-statuses", scope="tn.jpm.projectstatuses:r", incremental=True
    ),
    jpm.listing(
        "project_sub_statuses",
        "project-substatuses",
        scope="tn.jpm.projectsubstatuses:r",
        incremental=True,
        active=True,
    ),
    jpm.listing("project_types", "project-types", scope="tn.jpm.projecttypes:r"),
    jpm.listing(
        "wbs_budget_codes", "work-breakdown-structure/budget-codes", scope="tn.jpm.budgetcodes:r"
    ),
    jpm.listing("wbs_segments", "work-breakdown-structure/segments", scope="tn.jpm.segments:r"),
)
