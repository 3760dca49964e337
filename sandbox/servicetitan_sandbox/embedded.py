"""Children a parent record also embeds: a membership type's items.

A membership type carries ``durationBilling``, ``discounts`` and
``recurringServices``: the items its child endpoints answer
(``membership-types/{id}/duration-billing-items`` ...), each without the item's
own fields (id, importId, active, createdOn, createdById; the OpenAPI's
``MembershipType*Entry`` schemas). :class:`~.child_records.Children` keeps them in
step: written when the sandbox starts, and a change to an item is a change to
its membership type (a new version, modified at that moment).
"""

from __future__ import annotations

#: child kind -> (the parent's field embedding its children, the fields of an entry)
EMBEDDED: dict[str, tuple[str, tuple[str, ...]]] = {
    "membership_type_discounts": ("discounts", ("targetId", "discount")),
    "membership_type_duration_billing_items": (
        "durationBilling",
        ("duration", "billingFrequency", "salePrice", "billingPrice", "renewalPrice"),
    ),
    "membership_type_recurring_service_items": (
        "recurringServices",
        ("membershipTypeId", "recurringServiceTypeId", "offset", "offsetType", "allocation"),
    ),
}


def entries(kind_name: str, children: list[dict], active_filter: bool) -> list[dict]:
    """What a parent embeds of ``children``: those its child endpoint answers by default
    (active ones, when it filters on ``active``), less the children's own fields."""
    _, fields = EMBEDDED[kind_name]
    served = [c for c in children if c["active"] is True] if active_filter else children
    return [{name: child[name] for name in fields} for child in served]


def parent_collections(parent: str) -> tuple[str, str]:
    """The collections holding a parent's records: its export feed and its list endpoint."""
    return parent, parent.replace("/export/", "/", 1)
