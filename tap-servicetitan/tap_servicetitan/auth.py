"""OAuth client-credentials authentication shared by all streams of a run."""

from __future__ import annotations

import datetime as dt
import typing as t

import backoff
import requests
from singer_sdk.authenticators import OAuthAuthenticator

from tap_servicetitan.errors import AuthenticationError
from tap_servicetitan.http import error_title

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context  # noqa: F401

#: Refresh this long before the token's announced expiry (capped at 10% of
#: its lifetime, so short-lived tokens are still used for most of their life).
REFRESH_MARGIN_SECONDS = 60.0


class TokenEndpointUnavailableError(Exception):
    """The token endpoint answered 5xx: worth retrying."""


class ServiceTitanAuthenticator(OAuthAuthenticator):
    """Client-credentials token, refreshed ahead of expiry and after a 401.

    One instance serves every stream of a run, so a run asks for one token
    unless it outlives it. It also sets the ``ST-App-Key`` header.
    """

    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: str,
        app_key: str,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_tries: int = 5,
    ) -> None:
        super().__init__(
            auth_endpoint=auth_endpoint,
            client_id=client_id,
            client_secret=client_secret,
        )
        self.auth_headers["ST-App-Key"] = app_key
        if session is not None:
            self._session = session
        self._timeout = timeout
        self._max_tries = max_tries
        self.tokens_issued = 0
        #: True once a 401 forced a refresh; cleared by the next success.
        self.refreshed_after_401 = False

    @property
    def oauth_request_body(self) -> dict:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        margin = min(REFRESH_MARGIN_SECONDS, self.expires_in * 0.1)
        age = (dt.datetime.now(dt.timezone.utc) - self.last_refreshed).total_seconds()
        return age < self.expires_in - margin

    def invalidate(self) -> None:
        """Forget the current token so the next request fetches a new one."""
        self.access_token = None
        self.last_refreshed = None

    def update_access_token(self) -> None:
        """Fetch a token, retrying 5xx answers and connection failures."""
        fetch = backoff.on_exception(
            backoff.expo,
            (TokenEndpointUnavailableError, requests.ConnectionError, requests.Timeout),
            max_tries=self._max_tries,
            jitter=backoff.full_jitter,
            logger=self.logger,
        )(self._request_token)
        requested_at = dt.datetime.now(dt.timezone.utc)
        token = fetch()
        self.access_token = token["access_token"]
        self.expires_in = int(token.get("expires_in") or 0) or None
        self.last_refreshed = requested_at
        self.tokens_issued += 1
        self.logger.info("Obtained an access token (expires in %s s)", self.expires_in)

    def _request_token(self) -> dict:
        response = self._session.post(
            self.auth_endpoint,
            data=self.oauth_request_body,
            timeout=self._timeout,
        )
        if response.status_code >= 500:
            raise TokenEndpointUnavailableError(
                f"token endpoint answered {response.status_code}: {error_title(response)}"
            )
        if response.status_code in (400, 401):
            msg = (
                "ServiceTitan rejected the OAuth credentials "
                f"({response.status_code}: {error_title(response)}); "
                "check the settings 'client_id' and 'client_secret' "
                "(and 'auth_url' for integration vs production)"
            )
            raise AuthenticationError(msg)
        if not response.ok:
            msg = (
                f"token request to 'auth_url' failed ({response.status_code}: "
                f"{error_title(response)}); check the setting 'auth_url'"
            )
            raise AuthenticationError(msg)
        try:
            token = response.json()
            token["access_token"]
        except (ValueError, KeyError, TypeError):
            msg = (
                "the token endpoint answered without an access_token; check the setting 'auth_url'"
            )
            raise AuthenticationError(msg) from None
        return token
