"""Marketing Ads module: how its reports are read as streams (their rows: servicetitan_catalog.streams).

None of their rows has an id. Performance rows are read one day at a time over
the trailing :data:`ADS_DAYS` days and keyed by the day and the campaign (ad
group, keyword) they are about, copied to the top level from the nested
objects; attributed leads by their lead type and the id of the lead's own
record; capacity warnings by campaign and warning type.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from typing_extensions import override

from tap_servicetitan.windows import (
    WholeAnswerStream,
    WindowStream,
    daily_windows,
    nested_value,
    today_utc,
)

#: Days of ad performance and attributed leads each run reads again (the API keeps
#: attributing leads and revenue to past days).
ADS_DAYS = 30

DATE = {"type": "string", "format": "date"}
INTEGER_OR_NULL = {"type": ["integer", "null"]}
TEXT_OR_NULL = {"type": ["string", "null"]}

#: ``leadType`` (1 to 4) -> where the lead's own record id is.
LEAD_ID_FIELDS = {
    1: ("call", "id"),
    2: ("booking", "id"),
    3: ("leadForm", "leadNumber"),
    4: ("job", "id"),
}


class PerformanceStream(WindowStream):
    """``marketingads/performance`` by campaign: one row per campaign and day."""

    extra_params: t.ClassVar[dict[str, str]] = {"performanceSegmentationType": "Campaign"}
    windows_text = f"the last {ADS_DAYS} days, a day at a time, each run"
    added_properties: t.ClassVar[dict[str, dict]] = {
        "date": DATE,
        "campaignId": INTEGER_OR_NULL,
    }

    @override
    def windows(self) -> list[tuple[dt.datetime, dt.datetime]]:
        return daily_windows(today_utc(), ADS_DAYS)

    @override
    def window_fields(self, start: dt.datetime, end: dt.datetime) -> dict[str, t.Any]:
        return {"date": start.date().isoformat()}

    @override
    def key_fields(self, record: dict) -> dict[str, t.Any]:
        fields = {"campaignId": nested_value(record, "campaign", "id")}
        if "adGroupId" in self.added_properties:
            fields["adGroupId"] = nested_value(record, "adGroup", "id")
        if "keywordId" in self.added_properties:
            fields["keywordId"] = nested_value(record, "keyword", "id")
        return fields


class AdGroupPerformanceStream(PerformanceStream):
    """``marketingads/performance`` by ad group: one row per ad group and day."""

    extra_params: t.ClassVar[dict[str, str]] = {"performanceSegmentationType": "AdGroup"}
    added_properties: t.ClassVar[dict[str, dict]] = {
        **PerformanceStream.added_properties,
        "adGroupId": TEXT_OR_NULL,
    }


class KeywordPerformanceStream(PerformanceStream):
    """``marketingads/performance`` by keyword: one row per keyword and day."""

    extra_params: t.ClassVar[dict[str, str]] = {"performanceSegmentationType": "Keyword"}
    added_properties: t.ClassVar[dict[str, dict]] = {
        **AdGroupPerformanceStream.added_properties,
        "keywordId": TEXT_OR_NULL,
    }


class AttributedLeadsStream(WindowStream):
    """``marketingads/attributed-leads``: the leads of the trailing ADS_DAYS days."""

    windows_text = f"the last {ADS_DAYS} days, each run"
    added_properties: t.ClassVar[dict[str, dict]] = {"leadId": INTEGER_OR_NULL}

    @override
    def windows(self) -> list[tuple[dt.datetime, dt.datetime]]:
        days = daily_windows(today_utc(), ADS_DAYS)
        return [(days[0][0], days[-1][1])]

    @override
    def key_fields(self, record: dict) -> dict[str, t.Any]:
        where = LEAD_ID_FIELDS.get(record.get("leadType"))  # type: ignore[arg-type]
        return {"leadId": nested_value(record, *where) if where else None}


class CapacityWarningsStream(WholeAnswerStream):
    """``marketingads/capacity-warnings``: the current warnings, read whole each run."""


#: The classes of the module's rows (servicetitan_catalog.streams), by stream name.
CUSTOM = {
    "performance": PerformanceStream,
    "ad_group_performance": AdGroupPerformanceStream,
    "keyword_performance": KeywordPerformanceStream,
    "attributed_leads": AttributedLeadsStream,
    "capacity_warnings": CapacityWarningsStream,
}
