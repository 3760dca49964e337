"""Timesheets module (``timesheets/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

timesheets = Module("timesheets")

STREAMS = (
    timesheets.export("activities", "export/activities", scope="tn.tms.activities:r"),
    timesheets.export(
        "activity_categories", "export/activity-categories", scope="tn.tms.activitycategories:r"
    ),
    timesheets.export("activity_types", "export/activity-types", scope="tn.tms.activitytypes:r"),
)
