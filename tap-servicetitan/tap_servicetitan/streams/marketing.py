"""Marketing module: how the cost reports are read, one calendar month at a time (windows.py).

Their rows (name, endpoint, scope, key) are in servicetitan_catalog.streams; the
module's other streams are made from their rows alone (declare.py).
"""

from __future__ import annotations

import datetime as dt
import typing as t

from typing_extensions import override

from tap_servicetitan.pagination import ONE_RECORD
from tap_servicetitan.windows import WindowStream, monthly_windows, today_utc

#: Calendar months of cost reports each run reads again, the current one included.
COST_MONTHS = 12

MONTH = {"type": "string", "format": "date"}


class _MonthlyCostStream(WindowStream):
    """A marketing cost report over ``from``/``to``, one request per month, keyed by it."""

    paged = False
    window_param_names = ("from", "to")
    windows_text = f"the last {COST_MONTHS} months, a month at a time, each run"
    added_properties: t.ClassVar[dict[str, dict]] = {"month": MONTH}

    @override
    def windows(self) -> list[tuple[dt.datetime, dt.datetime]]:
        return monthly_windows(today_utc(), COST_MONTHS)

    @override
    def window_fields(self, start: dt.datetime, end: dt.datetime) -> dict[str, t.Any]:
        return {"month": start.date().isoformat()}


class CampaignCostSummaryStream(_MonthlyCostStream):
    """``marketing/campaign-cost-summary``: each campaign's total cost, per month."""

    records_in = "items"


class EmailChannelCostStream(_MonthlyCostStream):
    """``marketing/email-channel-cost``: the e-mail channel's total cost, per month."""

    records_in = ONE_RECORD


#: The classes of the module's custom rows (servicetitan_catalog.streams), by stream name.
CUSTOM = {
    "campaign_cost_summary": CampaignCostSummaryStream,
    "email_channel_cost": EmailChannelCostStream,
}
