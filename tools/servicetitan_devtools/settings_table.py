"""The docs' table of tap-servicetitan's settings (docs/settings.md), from the catalog.

One row per setting of ``servicetitan_catalog.settings``: its name, its
default (or that it is required and secret), its meaning and what the docs
add to it. Written by ``servicetitan-generate``.
"""

from __future__ import annotations

import html

from servicetitan_catalog.settings import SETTINGS, Setting
from servicetitan_devtools.doc_sections import markdown_section

SECTION = markdown_section("docs/settings.md", "settings-table")


def default_text(setting: Setting) -> str:
    """The default column: required and secret, the default, or none."""
    if setting.default_text is not None:
        return setting.default_text
    if setting.required:
        return "(required, secret)" if setting.secret else "(required)"
    if setting.default is None:
        return "none"
    return f"`{setting.default}`"


def meaning(setting: Setting) -> str:
    """The meaning column: the description (as text, not Markdown) and what the docs add."""
    return " ".join(filter(None, [html.escape(setting.description, quote=False), setting.more]))


def rendered() -> str:
    lines = [
        "",
        "| setting | default | meaning |",
        "|---|---|---|",
        *(f"| `{row.name}` | {default_text(row)} | {meaning(row)} |" for row in SETTINGS),
        "",
    ]
    return "\n".join(lines) + "\n"
