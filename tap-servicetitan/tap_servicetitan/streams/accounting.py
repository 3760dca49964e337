"""Accounting module (``accounting/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

accounting = Module("accounting")

STREAMS = (
    accounting.export("invoices", "export/invoices", scope="tn.acc.invoices:r"),
    accounting.export("inventory_bills", "export/inventory-bills", scope="tn.acc.inventorybills:r"),
    accounting.export("invoice_items", "export/invoice-items", scope="tn.acc.invoiceitems:r"),
    accounting.export("payments", "export/payments", scope="tn.acc.payments:r"),
    accounting.listing("ap_bills", "ap-bills", scope="tn.acc.apbills:r", incremental=True),
    accounting.listing(
        "ap_bills_custom_fields",
        "ap-bills/custom-fields",
        scope="tn.acc.apbills:r",
        incremental=True,
    ),
    accounting.listing("ap_credits", "ap-credits", scope="tn.acc.apcredits:r", incremental=True),
    accounting.listing(
        "ap_credits_custom_fields",
        "ap-credits/custom-fields",
        scope="tn.acc.apcredits:r",
        incremental=True,
    ),
    accounting.listing("ap_payments", "ap-payments", scope="tn.acc.appayments:r", incremental=True),
    accounting.listing(
        "ap_payments_custom_fields",
        "ap-payments/custom-fields",
        scope="tn.acc.appayments:r",
        incremental=True,
    ),
    accounting.listing(
        "bank_deposits", "bank-deposits", scope="tn.acc.bankdeposits:r", incremental=True
    ),
    accounting.listing(
        "credit_memos", "credit-memos", scope="tn.acc.creditmemos:r", incremental=True, active=True
    ),
    accounting.listing(
        "credit_memo_items",
        "credit-memos/credit-memo-items",
        scope="tn.acc.creditmemos:r",
        active=True,
    ),
    accounting.listing(
        "credit_memos_custom_fields",
        "credit-memos/custom-fields",
        scope="tn.acc.creditmemos:r",
        incremental=True,
    ),
    accounting.listing(
        "gl_account_types",
        "gl-accounts/types",
        scope="tn.acc.glaccounts:r",
        incremental=True,
        active=True,
    ),
    accounting.listing(
        "gl_accounts", "gl-accounts", scope="tn.acc.glaccounts:r", incremental=True, active=True
    ),
    accounting.listing(
        "inventory_bills_custom_fields",
        "inventory-bills/custom-fields",
        scope="tn.acc.inventorybills:r",
        incremental=True,
    ),
    accounting.listing(
        "invoices_custom_fields",
        "invoices/custom-fields",
        scope="tn.acc.invoices:r",
        incremental=True,
    ),
    accounting.listing(
        "journal_entries", "journal-entries", scope="tn.acc.journalentries:r", incremental=True
    ),
    accounting.listing(
        "payment_terms", "payment-terms", scope="tn.acc.paymentterms:r", incremental=True
    ),
    accounting.listing(
        "payment_types", "payment-types", scope="tn.acc.paymenttypes:r", active=True
    ),
    accounting.listing(
        "payments_custom_fields",
        "payments/custom-fields",
        scope="tn.acc.payments:r",
        incremental=True,
    ),
    accounting.listing(
        "remittance_vendors",
        "remittance-vendors",
        scope="tn.acc.remittancevendors:r",
        incremental=True,
        active=True,
    ),
    accounting.listing(
        "tax_zones", "tax-zones", scope="tn.acc.taxzones:r", incremental=True, active=True
    ),
)
