"""Marketing module (``marketing/v2/tenant/{tenant}/...``): its streams, one row each,
then the cost reports, asked for one calendar month at a time (windows.py)."""

from __future__ import annotations

import datetime as dt
import typing as t

from typing_extensions import override

from tap_servicetitan.pagination import ONE_RECORD
from tap_servicetitan.streams.declare import Module
from tap_servicetitan.windows import WindowStream, monthly_windows, today_utc

marketing = Module("marketing")

#: Calendar months of cost reports each run reads again, the current one included.
COST_MONTHS = 12

MONTH = {"type": "string", "format": "date"}


class _MonthlyCostStream(WindowStream):
    """A marketing cost report over ``from``/``to``, one request per month, keyed by it."""

    module = "marketing"
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

    name = "campaign_cost_summary"
    path = "campaign-cost-summary"
    scope = "tn.mrk.campaigncostsummary:r"
    records_in = "items"
    primary_keys = ("month", "campaignId")


class EmailChannelCostStream(_MonthlyCostStream):
    """``marketing/email-channel-cost``: the e-mail channel's total cost, per month."""

    name = "email_channel_cost"
    path = "email-channel-cost"
    scope = "tn.mrk.emailchannelcost:r"
    records_in = ONE_RECORD
    primary_keys = ("month",)


STREAMS = (
    marketing.listing(
        "campaigns", "campaigns", scope="tn.mrk.campaigns:r", incremental=True, active=True
    ),
    marketing.listing("costs", "costs", scope="tn.mrk.costs:r"),
    marketing.listing(
        "marketing_categories", "categories", scope="tn.mrk.categories:r", incremental=True
    ),
    CampaignCostSummaryStream,
    EmailChannelCostStream,
)
