"""Errors a user can act on.

Each carries one line that names the setting to fix. The command-line entry
point prints it without a traceback.
"""

from __future__ import annotations


class ServiceTitanError(Exception):
    """A failure explained in one actionable line."""


class ConfigurationError(ServiceTitanError):
    """A setting is missing or malformed; raised before any request."""


class AuthenticationError(ServiceTitanError):
    """The token endpoint or the API rejected the credentials."""


class AccessDeniedError(ServiceTitanError):
    """The tenant is not connected to the app, or the app lacks a scope."""
