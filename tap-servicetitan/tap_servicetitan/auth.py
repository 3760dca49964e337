"""OAuth client-credentials authentication shared by all streams of a run."""

from __future__ import annotations

import datetime as dt
import threading

import backoff
import requests
from singer_sdk.authenticators import OAuthAuthenticator
from typing_extensions import override

from tap_servicetitan.errors import AuthenticationError
from tap_servicetitan.responses import error_title

#: Refresh this long before the token's announced expiry (capped at 10% of
#: its lifetime, so short-lived tokens are still used for most of their life).
REFRESH_MARGIN_SECONDS = 60.0


class TokenEndpointUnavailableError(Exception):
    """The token endpoint answered 5xx: worth retrying."""


class ServiceTitanAuthenticator(OAuthAuthenticator):
    """Client-credentials token, refreshed ahead of expiry and after a 401.

    One instance serves every stream of a run, so a run asks for one token
    unless it outlives it. It also sets the ``ST-App-Key`` header, and it
    remembers whether the last 401 already forced a refresh: a fresh token
    that is still refused points at the app key, not at the token.
    """

    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: str,
        app_key: str,
        timeout: float = 30.0,
        max_tries: int = 5,
    ) -> None:
        super().__init__(
            auth_endpoint=auth_endpoint,
            client_id=client_id,
            client_secret=client_secret,
        )
        self.auth_headers["ST-App-Key"] = app_key
        self._timeout = timeout
        self._max_tries = max_tries
        self._refreshed_after_401 = False
        # Reentrant: authenticate_request holds it while update_access_token runs.
        self._lock = threading.RLock()
        #: The scopes the last token names (OAuth ``scope``), or None when it names none.
        self.granted_scopes: frozenset[str] | None = None

    @property
    @override
    def oauth_request_body(self) -> dict:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    @override
    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        margin = min(REFRESH_MARGIN_SECONDS, self.expires_in * 0.1)
        age = (dt.datetime.now(dt.timezone.utc) - self.last_refreshed).total_seconds()
        return age < self.expires_in - margin

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Set the headers on ``request`` with a valid token; safe from many threads.

        The token is read under the lock and written into the request only
        (singer-sdk writes it into the shared ``auth_headers`` first, which
        concurrent child-stream requests would race on).
        """
        with self._lock:
            if not self.is_token_valid():
                self.update_access_token()
            token = self.access_token
        request.headers.update(self.auth_headers)
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def request_succeeded(self) -> None:
        """An API request was accepted: the next 401 is worth a refresh again."""
        self._refreshed_after_401 = False

    def refresh_after_unauthorized(
        self, endpoint: str, title: str, sent_authorization: str | None = None
    ) -> None:
        """Drop the token after a 401 so the retry fetches a new one.

        ``sent_authorization`` is the refused request's ``Authorization``
        header: when another request has replaced that token meanwhile (many
        child requests in flight meet the same expiry), the retry just uses
        the newer one.

        Raises:
            AuthenticationError: a token fetched after the previous 401 was
                refused too, which means the app key is wrong.
        """
        with self._lock:
            if sent_authorization is not None and sent_authorization != (
                f"Bearer {self.access_token}"
            ):
                return
            if self._refreshed_after_401:
                msg = (
                    f"ServiceTitan refused a fresh token for {endpoint} (401: {title}); "
                    "check the setting 'st_app_key' (the app key must belong to the app "
                    "of client_id)"
                )
                raise AuthenticationError(msg)
            self.access_token = None
            self.last_refreshed = None
            self._refreshed_after_401 = True

    @override
    def update_access_token(self) -> None:
        """Fetch a token, retrying 5xx answers and connection failures."""
        with self._lock:
            if self.is_token_valid():  # another thread refreshed it meanwhile
                return
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
            self.granted_scopes = (
                frozenset(str(token["scope"]).split()) if token.get("scope") else None
            )
            self.last_refreshed = requested_at
        self.logger.info("Obtained an access token (expires in %s s)", self.expires_in)

    def _request_token(self) -> dict:
        response = requests.post(
            self.auth_endpoint,
            data=self.oauth_request_body,
            timeout=self._timeout,
        )
        if response.status_code >= 500:
            msg = f"token endpoint answered {response.status_code}: {error_title(response)}"
            raise TokenEndpointUnavailableError(msg)
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
