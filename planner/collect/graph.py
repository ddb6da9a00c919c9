"""The Microsoft Graph client: app-only sign-in with MSAL, paging, throttling, retries.

Graph serves PSTN call records through ``communications/callRecords/getPstnCalls`` and Direct
Routing records through ``getDirectRoutingCalls`` (v1.0), to an app registration holding the
application permission ``CallRecords.Read.All`` (admin consent granted). A query covers at most
90 days of call start times (both bounds inclusive) and answers in pages of up to 1,000 rows,
the next page's address in ``@odata.nextLink``.

What the client does about failures:

- **429 / 503 with ``Retry-After``**: waits that long (seconds or an HTTP date, at most
  :data:`MAX_RETRY_AFTER_S`) and asks again;
- **other 5xx, a 503 without ``Retry-After``, a dropped connection**: waits 1, 2, 4 ... seconds
  (capped at :data:`BACKOFF_CAP_S`) and asks again;
- after :data:`MAX_RETRIES` retries of one request it gives up (exit 2, one line);
- **401 / 403**: stops at once with a one-line message naming ``CallRecords.Read.All``;
- any other 4xx: stops with Graph's own error code and message.

Only the two hosts given (``authority`` and ``graph_url``) are contacted: MSAL's instance
discovery is off, and a next-page link to another host is refused. The client secret or
certificate is held in memory only and never appears in a message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from planner.errors import InputError

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
PERMISSION = "CallRecords.Read.All"
PSTN_CALLS = "getPstnCalls"
DIRECT_ROUTING_CALLS = "getDirectRoutingCalls"
#: the longest period one query may cover (Graph answers 400 beyond it)
MAX_WINDOW = dt.timedelta(days=90)
MAX_RETRIES = 8
BACKOFF_START_S = 1.0
BACKOFF_CAP_S = 60.0
MAX_RETRY_AFTER_S = 600.0
TIMEOUT_S = 120.0
CERTIFICATE_PASSPHRASE_ENV = "PLANNER_CERTIFICATE_PASSPHRASE"

_log = logging.getLogger("planner")
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)


class GraphError(InputError):
    """Graph or the sign-in refused, or stayed unavailable: exit code 2, one line."""


@dataclass(frozen=True)
class AppCredential:
    """An app registration's identity and its secret or certificate (never printed).

    Build one with :func:`secret_from_env` or :func:`certificate_from_pem`.
    """

    tenant_id: str
    client_id: str
    secret: str | None = field(default=None, repr=False)
    certificate: dict[str, str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("tenant_id", "client_id"):
            value = getattr(self, name)
            if not value or not re.fullmatch(r"[A-Za-z0-9._-]+", value):
                raise InputError(f"--{name.replace('_', '-')}: give the app's {name} (a GUID)")
        if (self.secret is None) == (self.certificate is None):
            raise ValueError("give exactly one of secret and certificate")

    def msal_credential(self) -> str | dict[str, str]:
        return self.secret if self.secret is not None else dict(self.certificate or {})


def secret_from_env(tenant_id: str, client_id: str, env_name: str) -> AppCredential:
    """The credential whose client secret is in the environment variable ``env_name``.

    Raises
    ------
    InputError
        When the variable is unset or empty (the message names the variable, not a value).
    """
    secret = os.environ.get(env_name, "")
    if not secret.strip():
        raise InputError(
            f"the environment variable {env_name} holds no client secret; set it to the app "
            "registration's secret (or use --certificate PEM)"
        )
    return AppCredential(tenant_id, client_id, secret=secret.strip())


def certificate_from_pem(tenant_id: str, client_id: str, path: str | Path) -> AppCredential:
    """The credential of a certificate: a PEM file holding the private key and the certificate.

    An encrypted key's passphrase is read from ``PLANNER_CERTIFICATE_PASSPHRASE``.

    Raises
    ------
    InputError
        When the file cannot be read or lacks the key or the certificate.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--certificate {path}: cannot read the PEM file ({exc})") from None
    blocks = {m.group(1): m.group(0) for m in _PEM_BLOCK.finditer(text)}
    key = next((b for kind, b in blocks.items() if kind.endswith("PRIVATE KEY")), None)
    cert = blocks.get("CERTIFICATE")
    if key is None or cert is None:
        missing = "private key" if key is None else "certificate"
        raise InputError(
            f"--certificate {path}: the PEM file holds no {missing}; give one file with both "
            "(openssl pkcs12 -in app.pfx -out app.pem -nodes)"
        )
    credential = {"private_key": key, "public_certificate": cert}
    passphrase = os.environ.get(CERTIFICATE_PASSPHRASE_ENV)
    if passphrase:
        credential["passphrase"] = passphrase
    return AppCredential(tenant_id, client_id, certificate=credential)


def _base_url(url: str, option: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise InputError(f"{option} {url}: give an https:// address (e.g. {DEFAULT_GRAPH_URL})")
    return url.rstrip("/")


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _graph_message(response: requests.Response) -> str:
    """Graph's ``error.code: error.message`` (first line), or the status text."""
    try:
        error = response.json().get("error") or {}
        text = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except (ValueError, AttributeError):
        text = ""
    text = text or response.reason or ""
    return text.splitlines()[0][:300] if text else ""


def timestamp(moment: dt.datetime) -> str:
    """A UTC time as Graph's function parameters take it (``2026-01-31T00:00:00Z``)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Counters:
    """What the client did: Graph requests (retries included), retries, pages, sign-ins."""

    requests: int = 0
    retries: int = 0
    pages: int = 0
    sign_ins: int = 0


class GraphClient:
    """Reads call-record pages from Graph with an app-only token.

    Parameters
    ----------
    credential : AppCredential
        The app registration and its secret or certificate.
    authority : str
        Sign-in host (``https://login.microsoftonline.com``; national clouds have their own).
    graph_url : str
        Graph host (``https://graph.microsoft.com``; national clouds have their own).
    session : requests.Session, optional
        HTTP session (honours ``HTTPS_PROXY`` and ``REQUESTS_CA_BUNDLE``).
    sleep : callable
        Waits between retries (tests pass a recorder).
    backoff_start_s : float
        First wait after a 5xx without ``Retry-After``; doubled each retry up to
        :data:`BACKOFF_CAP_S`.
    """

    def __init__(
        self,
        credential: AppCredential,
        *,
        authority: str = DEFAULT_AUTHORITY,
        graph_url: str = DEFAULT_GRAPH_URL,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff_start_s: float = BACKOFF_START_S,
        max_retries: int = MAX_RETRIES,
    ):
        self.credential = credential
        self.authority = _base_url(authority, "--authority")
        self.graph_url = _base_url(graph_url, "--graph-url")
        self.session = session or requests.Session()
        self.sleep = sleep
        self.backoff_start_s = backoff_start_s
        self.max_retries = max_retries
        self.counters = Counters()
        self._app: msal.ConfidentialClientApplication | None = None

    # ---- sign-in ------------------------------------------------------------------------

    def _msal_app(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.credential.client_id,
                    client_credential=self.credential.msal_credential(),
                    authority=f"{self.authority}/{self.credential.tenant_id}",
                    # sign in at the authority given, never ask login.microsoftonline.com
                    # whether it is a known host: national clouds and test servers alike
                    instance_discovery=False,
                    http_client=self.session,
                    timeout=TIMEOUT_S,
                )
            except ValueError as exc:  # the tenant's OpenID configuration was refused
                raise GraphError(
                    f"sign-in: the authority {self.authority} does not know the tenant "
                    f"{self.credential.tenant_id} ({_first_line(exc)})"
                ) from None
            except requests.RequestException as exc:
                raise GraphError(
                    f"sign-in: cannot reach {self.authority} ({_first_line(exc)})"
                ) from None
        return self._app

    def token(self) -> str:
        """An access token for Graph (MSAL caches it and renews it before it expires).

        Raises
        ------
        GraphError
            When the sign-in is refused (wrong tenant, client id, secret or certificate).
        """
        app = self._msal_app()
        try:
            result = app.acquire_token_for_client(scopes=[f"{self.graph_url}/.default"])
        except requests.RequestException as exc:
            raise GraphError(
                f"sign-in: cannot reach {self.authority} ({_first_line(exc)})"
            ) from None
        except ValueError as exc:  # a certificate whose key cannot be loaded
            raise GraphError(
                f"sign-in: the certificate cannot be used ({_first_line(exc)})"
            ) from None
        if "access_token" not in result:
            code = result.get("error", "error")
            detail = _first_line(result.get("error_description") or "")
            raise GraphError(
                f"sign-in refused for client {self.credential.client_id} in tenant "
                f"{self.credential.tenant_id}: {code} ({detail[:300]})"
            )
        if result.get("token_source") == "identity_provider":
            self.counters.sign_ins += 1
        return result["access_token"]

    # ---- requests -----------------------------------------------------------------------

    def _wait(self, attempt: int, response: requests.Response | None, what: str) -> None:
        """Wait before retry ``attempt`` (1-based), or give up after :attr:`max_retries`."""
        if attempt > self.max_retries:
            raise GraphError(
                f"Graph still answers {what} after {self.max_retries} retries; try again later"
            )
        after = (
            _retry_after(response)
            if response is not None and response.status_code in (429, 503)
            else None
        )
        if after is None:
            after = min(BACKOFF_CAP_S, self.backoff_start_s * 2 ** (attempt - 1))
        after = min(after, MAX_RETRY_AFTER_S)
        self.counters.retries += 1
        _log.warning("Graph answered %s; retry %d in %.0f s", what, attempt, after)
        self.sleep(after)

    def get(self, url: str) -> dict[str, Any]:
        """GET one Graph page, parsed (numbers as their decimal text), retrying as above.

        Raises
        ------
        GraphError
            On 401/403 (the permission), another 4xx, or when retries are exhausted.
        """
        attempt = 0
        while True:
            token = self.token()
            self.counters.requests += 1
            try:
                response = self.session.get(
                    url,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    timeout=TIMEOUT_S,
                )
            except requests.RequestException as exc:
                attempt += 1
                self._wait(attempt, None, f"no response ({_first_line(exc)})")
                continue
            status = response.status_code
            if status == 200:
                try:
                    # numbers kept as their text: money stays exact all the way to cents
                    return json.loads(response.content, parse_float=str, parse_int=str)
                except ValueError:
                    attempt += 1
                    self._wait(attempt, None, "a cut-off page")
                    continue
            if status in (401, 403):
                raise GraphError(
                    f"Graph refused access ({status} {_graph_message(response)}): the app "
                    f"registration needs the application permission {PERMISSION} with admin "
                    "consent"
                )
            if status == 429 or status >= 500:
                attempt += 1
                self._wait(attempt, response, str(status))
                continue
            raise GraphError(f"Graph refused the request ({status} {_graph_message(response)})")

    def pages(
        self, function: str, start: dt.datetime, end: dt.datetime
    ) -> Iterator[dict[str, Any]]:
        """Every page of ``function`` for calls started from ``start`` to ``end`` (inclusive).

        Raises
        ------
        ValueError
            When the period is longer than :data:`MAX_WINDOW` or ends before it starts.
        GraphError
            As :meth:`get`, or when a next-page link points to another host.
        """
        if not dt.timedelta(0) <= end - start <= MAX_WINDOW:
            raise ValueError(f"a query covers 0 to {MAX_WINDOW.days} days, got {start}..{end}")
        url: str | None = (
            f"{self.graph_url}/v1.0/communications/callRecords/{function}"
            f"(fromDateTime={timestamp(start)},toDateTime={timestamp(end)})"
        )
        home = urlsplit(self.graph_url)
        while url:
            there = urlsplit(url)
            if (there.scheme, there.netloc) != (home.scheme, home.netloc):
                raise GraphError(
                    f"Graph sent a next page on another host ({there.netloc}); stopped"
                )
            body = self.get(url)
            self.counters.pages += 1
            yield body
            url = body.get("@odata.nextLink")


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
