"""The Microsoft Graph client: app-only sign-in with MSAL, paging, throttling, every answer checked.

Graph serves PSTN call records through ``communications/callRecords/getPstnCalls`` and Direct
Routing records through ``getDirectRoutingCalls`` (v1.0), and Teams Phone SMS through
``getSmsLog`` (beta), to an app registration holding the application permission
``CallRecords.Read.All`` (admin consent granted). A query covers at most 90 days (both bounds
inclusive) and answers in pages of up to 1,000 rows, the next page's address in
``@odata.nextLink``.

What the client does about failures:

- **429 / 503 with ``Retry-After``**: every worker of the fetch waits that long (ASCII digits
  or an HTTP date) and asks again (:mod:`planner.collect.pacing`);
- **other 5xx, a 503 without ``Retry-After``, a dropped connection**: waits 1, 2, 4 ...
  seconds (capped at :data:`BACKOFF_CAP_S`) and asks again;
- **a 200 whose body is not JSON** (a proxy's or a gateway's page, a cut-off page): asks
  again :data:`MAX_NOT_JSON_RETRIES` times (after 1 then 2 seconds), then stops;
- after :data:`MAX_RETRIES` retries of one request, or when the waits of the fetch would pass
  ``max_wait``, it gives up (exit 2, one line);
- **401**: signs in again once (a token expired or revoked before MSAL's clock said so);
- **403, a second 401**: stops with a one-line message naming ``CallRecords.Read.All``;
- any other 4xx: stops with Graph's own error code and message.

What the client trusts of an answer (each refusal is one line, exit 2):

- only the two hosts given (``authority`` and ``graph_url``) are contacted: MSAL's instance
  discovery is off, a token endpoint or a redirect to another host is refused before the
  credential is sent, a Graph redirect is not followed, a next-page link to another host is
  refused;
- a page is a JSON object of at most :data:`~planner.collect.http.MAX_PAGE_BYTES` (after
  decompression) and :data:`MAX_DEPTH` levels, whose ``value`` is a list and whose
  ``@odata.nextLink`` is absent or an https address on the Graph host;
- a window ends with an error when a page address comes back (a loop) or after
  :data:`MAX_PAGES` pages.

The client secret or certificate is held in memory only; every message is scrubbed of it and
of the tokens (:class:`~planner.collect.http.Scrubber`), and MSAL's own log is silenced.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from planner.collect.http import (
    ACCEPT_ENCODING,
    MAX_PAGE_BYTES,
    AuthorityOnly,
    GraphError,
    Scrubber,
    base_url,
    first_line,
    kind_of,
    origin,
    read_body,
    retry_after,
    too_deep,
)
from planner.collect.pacing import MAX_WAIT_S, Pacer
from planner.errors import InputError
from planner.text import number, t

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
PERMISSION = "CallRecords.Read.All"
PSTN_CALLS = "getPstnCalls"
DIRECT_ROUTING_CALLS = "getDirectRoutingCalls"
SMS_LOG = "getSmsLog"
#: the API version serving each function (the SMS log is in beta only)
VERSIONS = {PSTN_CALLS: "v1.0", DIRECT_ROUTING_CALLS: "v1.0", SMS_LOG: "beta"}
#: the longest period one query may cover (Graph answers 400 beyond it)
MAX_WINDOW = dt.timedelta(days=90)
MAX_RETRIES = 8
#: retries of a page answered 200 whose body is not JSON (an HTML page from a proxy or a
#: gateway is no passing fault: eight retries would take minutes)
MAX_NOT_JSON_RETRIES = 2
BACKOFF_START_S = 1.0
BACKOFF_CAP_S = 60.0
TIMEOUT_S = 120.0
#: pages one window may take (10 million rows in 90 days); more is a server that never ends
MAX_PAGES = 10_000
#: nesting of a page (object, value list, row, a property's object or list ...)
MAX_DEPTH = 32
CERTIFICATE_PASSPHRASE_ENV = "PLANNER_CERTIFICATE_PASSPHRASE"

_log = logging.getLogger("planner")
#: what :meth:`GraphClient._parsed` gives for a body that is not JSON
_NOT_JSON = object()
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)


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
                raise InputError(
                    "--{replace}: give the app's {name} (a GUID)",
                    replace=name.replace("_", "-"),
                    name=name,
                )
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
            "the environment variable {env_name} holds no client secret; set it to "
            "the app registration's secret (or use --certificate PEM)",
            env_name=env_name,
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
        raise InputError(
            "--certificate {path}: cannot read the PEM file ({exc})", path=path, exc=exc
        ) from None
    blocks = {m.group(1): m.group(0) for m in _PEM_BLOCK.finditer(text)}
    key = next((b for kind, b in blocks.items() if kind.endswith("PRIVATE KEY")), None)
    cert = blocks.get("CERTIFICATE")
    if key is None or cert is None:
        missing = "private key" if key is None else "certificate"
        raise InputError(
            "--certificate {path}: the PEM file holds no {missing}; give one file "
            "with both (openssl pkcs12 -in app.pfx -out app.pem -nodes)",
            path=path,
            missing=missing,
        )
    credential = {"private_key": key, "public_certificate": cert}
    passphrase = os.environ.get(CERTIFICATE_PASSPHRASE_ENV)
    if passphrase:
        credential["passphrase"] = passphrase
    return AppCredential(tenant_id, client_id, certificate=credential)


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
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)


class GraphClient:
    """Reads call-record pages from Graph with an app-only token (thread-safe).

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
    max_wait : float
        Seconds of back-off the whole fetch accepts (``--max-wait``).
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
        max_wait: float = MAX_WAIT_S,
        max_pages: int = MAX_PAGES,
    ):
        self.credential = credential
        self.authority = base_url(authority, "--authority", DEFAULT_GRAPH_URL)
        self.graph_url = base_url(graph_url, "--graph-url", DEFAULT_GRAPH_URL)
        self.session = session or requests.Session()
        self.pacer = Pacer(max_wait=max_wait, sleep=sleep)
        self.backoff_start_s = backoff_start_s
        self.max_retries = max_retries
        self.max_pages = max_pages
        self.counters = Counters()
        passphrase = (credential.certificate or {}).get("passphrase")
        key = (credential.certificate or {}).get("private_key")
        self.scrub = Scrubber([credential.secret, passphrase, key])
        self._app: msal.ConfidentialClientApplication | None = None
        self._token: str | None = None  # the last token MSAL gave
        self._token_lock = threading.Lock()
        # MSAL logs a sign-in answer it cannot parse with its traceback and the answer's text
        logging.getLogger("msal").setLevel(logging.CRITICAL + 1)

    def _fail(self, message: str, /, **values: Any) -> GraphError:
        """The error ``message`` (a catalogue message, ``{name}`` fields from ``values``),
        scrubbed of the credential's secrets."""
        return GraphError(self.scrub(t(message, **values), 500))

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
                    http_client=AuthorityOnly(self.session, self.authority, self.scrub, TIMEOUT_S),
                    timeout=TIMEOUT_S,
                )
            except GraphError:
                raise
            except ValueError as exc:  # the tenant's OpenID configuration was refused
                raise self._fail(
                    "sign-in: the authority {authority} does not know the tenant "
                    "{tenant_id} ({first_line})",
                    authority=self.authority,
                    tenant_id=self.credential.tenant_id,
                    first_line=first_line(exc),
                ) from None
            except Exception as exc:  # noqa: BLE001 - MSAL's own errors end the sign-in
                raise self._fail(
                    "sign-in at {authority} failed ({first_line})",
                    authority=self.authority,
                    first_line=first_line(exc),
                ) from None
        return self._app

    def token(self) -> str:
        """An access token for Graph (MSAL caches it and renews it before it expires).

        Raises
        ------
        GraphError
            When the sign-in is refused (wrong tenant, client id, secret or certificate).
        """
        with self._token_lock:
            app = self._msal_app()
            try:
                result = app.acquire_token_for_client(scopes=[f"{self.graph_url}/.default"])
            except GraphError:
                raise
            except ValueError as exc:
                what = (
                    "the certificate cannot be used"
                    if self.credential.certificate is not None
                    else "the sign-in answer cannot be used"
                )
                raise self._fail(
                    "sign-in: {what} ({first_line})", what=what, first_line=first_line(exc)
                ) from None
            except Exception as exc:  # noqa: BLE001 - MSAL's own errors end the sign-in
                raise self._fail(
                    "sign-in at {authority} failed ({first_line})",
                    authority=self.authority,
                    first_line=first_line(exc),
                ) from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token or len(token) > 64_000:
            result = result if isinstance(result, dict) else {}
            code = str(result.get("error") or "error")
            detail = first_line(str(result.get("error_description") or ""))
            raise self._fail(
                "sign-in refused for client {client_id} in tenant {tenant_id}: {code} ({detail})",
                client_id=self.credential.client_id,
                tenant_id=self.credential.tenant_id,
                code=code[:100],
                detail=detail[:300],
            )
        self.scrub.add(token)
        if result.get("token_source") == "identity_provider":
            self.counters.add("sign_ins")
        self._token = token
        return token

    def _renew(self, refused: str) -> None:
        """Sign in again at the next :meth:`token` when Graph refused the token ``refused``
        (expired or revoked before MSAL's clock said so); once for the workers that sent it."""
        with self._token_lock:
            if self._token == refused:
                self._app = None  # a new application: MSAL's cache of the old token goes
                self._token = None

    # ---- requests -----------------------------------------------------------------------

    def _retry(self, attempt: int, response: requests.Response | None, what: str) -> None:
        """Back off before retry ``attempt`` (1-based), or give up after :attr:`max_retries`."""
        if attempt > self.max_retries:
            raise self._fail(
                "Graph still answers {what} after {max_retries} retries; try again later",
                what=what,
                max_retries=self.max_retries,
            )
        after = (
            retry_after(response.headers.get("Retry-After"))
            if response is not None and response.status_code in (429, 503)
            else None
        )
        if after is None:
            after = min(BACKOFF_CAP_S, self.backoff_start_s * 2 ** (attempt - 1))
        try:
            self.pacer.back_off(after, what)
        except GraphError as exc:
            raise self._fail(str(exc)) from None
        self.counters.add("retries")
        _log.warning(self.scrub(f"Graph answered {what}; retry {attempt} in {after:.0f} s"))

    def _error_text(self, response: requests.Response) -> str:
        """Graph's ``error.code: error.message`` (first line), or the status text."""
        text = ""
        try:
            error = json.loads(read_body(response, 1 << 16, "Graph")).get("error") or {}
            text = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
        except (GraphError, ValueError, AttributeError, RecursionError, requests.RequestException):
            pass
        text = text or response.reason or ""
        return self.scrub(text.splitlines()[0] if text else "", 300)

    def _send(self, url: str, token: str) -> requests.Response:
        self.pacer.before_request()
        self.counters.add("requests")
        return self.session.get(
            url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            timeout=TIMEOUT_S,
            stream=True,
            allow_redirects=False,
        )

    def get(self, url: str, window: str = "") -> dict[str, Any]:
        """GET one Graph page, parsed (numbers as their decimal text), retrying as above; a
        page that is not JSON is asked for again :data:`MAX_NOT_JSON_RETRIES` times at most
        (``window`` names the query in that error).

        Raises
        ------
        GraphError
            On 403 or a second 401 (the permission), a redirect, another 4xx, an answer that
            is not a page, or when retries or the total wait are exhausted.
        """
        attempt = not_json = 0
        renewed = False
        while True:
            token = self.token()
            try:
                response = self._send(url, token)
                status = response.status_code
                body = read_body(response, MAX_PAGE_BYTES, "Graph") if status == 200 else None
            except requests.RequestException as exc:
                attempt += 1
                self._retry(attempt, None, f"no complete answer ({first_line(exc)})")
                continue
            if body is not None:
                page = self._parsed(body)
                if page is not _NOT_JSON:
                    return self._checked_page(page)
                # a proxy's or a gateway's page is not a passing fault: asked again briefly
                not_json += 1
                if not_json > MAX_NOT_JSON_RETRIES:
                    raise self._fail(
                        "Graph answered {n} times in a row for {window} with a page that is not "
                        "JSON (it begins {start}: a proxy's or a gateway's page?); stopped",
                        n=not_json,
                        window=window or url[:200],
                        start=repr(body[:40].decode("utf-8", "replace")),
                    )
                self._retry(not_json, None, "a page that is not JSON")
                continue
            if 300 <= status < 400:
                target = origin(response.headers.get("Location", ""))[1] or "no address"
                response.close()
                raise self._fail(
                    "Graph answered {status}, a redirect to {target}; not followed (only "
                    "{graph_url} is read)",
                    status=status,
                    target=target,
                    graph_url=self.graph_url,
                )
            if status == 401 and not renewed:
                response.close()
                renewed = True
                self._renew(token)
                continue
            if status in (401, 403):
                raise self._fail(
                    "Graph refused access ({status} {error_text}): the app registration "
                    "needs the application permission {permission} with admin consent",
                    status=status,
                    error_text=self._error_text(response),
                    permission=PERMISSION,
                )
            if status == 429 or status >= 500:
                response.close()
                attempt += 1
                self._retry(attempt, response, str(status))
                continue
            raise self._fail(
                "Graph refused the request ({status} {error_text})",
                status=status,
                error_text=self._error_text(response),
            )

    def _parsed(self, body: bytes) -> Any:
        """The JSON of a page, numbers kept as their text (money stays exact all the way to
        cents); :data:`_NOT_JSON` when the body is not JSON."""
        try:
            return json.loads(body, parse_float=str, parse_int=str)
        except RecursionError:
            raise self._fail("Graph answered a page nested too deeply; refused") from None
        except ValueError:
            return _NOT_JSON

    def _checked_page(self, page: Any) -> dict[str, Any]:
        """``page`` when it is a Graph page: an object whose ``value`` is a list, not too deep."""
        if not isinstance(page, dict):
            raise self._fail(
                "Graph answered {kind} where a page (an object) belongs", kind=kind_of(page)
            )
        rows = page.get("value")
        if not isinstance(rows, list):
            raise self._fail(
                "Graph answered a page whose 'value' is {kind}, not a list",
                kind=kind_of(rows),
            )
        if too_deep(page, MAX_DEPTH):
            raise self._fail(
                "Graph answered a page nested over {max_depth} levels; refused", max_depth=MAX_DEPTH
            )
        return page

    def _next_link(self, page: dict[str, Any]) -> str | None:
        link = page.get("@odata.nextLink")
        if link is None:
            return None
        if not isinstance(link, str) or not link or len(link) > 16_384:
            raise self._fail(
                "Graph sent a next-page link that is {kind}; stopped", kind=kind_of(link)
            )
        parts = urlsplit(link)
        if origin(link) != origin(self.graph_url) or parts.username or parts.password:
            raise self._fail(
                "Graph sent a next page on another host ({netloc}); stopped",
                netloc=parts.netloc[:100],
            )
        return link

    def first_url(self, function: str, start: dt.datetime, end: dt.datetime) -> str:
        """The address of the first page of ``function`` from ``start`` to ``end``."""
        return (
            f"{self.graph_url}/{VERSIONS[function]}/communications/callRecords/{function}"
            f"(fromDateTime={timestamp(start)},toDateTime={timestamp(end)})"
        )

    def pages(
        self,
        function: str,
        start: dt.datetime,
        end: dt.datetime,
    ) -> Iterator[list[Any]]:
        """The rows of every page of ``function`` for ``start`` to ``end`` (inclusive).

        Stops early, quietly, when the pacer is stopped (another worker failed).

        Raises
        ------
        ValueError
            When the period is longer than :data:`MAX_WINDOW` or ends before it starts.
        GraphError
            As :meth:`get`; when a next-page link is not an address on the Graph host, when a
            page address comes back (a loop), or after :attr:`max_pages` pages.
        """
        if not dt.timedelta(0) <= end - start <= MAX_WINDOW:
            raise ValueError(f"a query covers 0 to {MAX_WINDOW.days} days, got {start}..{end}")
        url: str | None = self.first_url(function, start, end)
        seen: set[str] = set()
        while url and not self.pacer.stopped.is_set():
            if url in seen:
                raise self._fail(
                    "Graph sent the address of a page already read for {function} "
                    "{timestamp}..{timestamp2} (a loop); stopped",
                    function=function,
                    timestamp=timestamp(start),
                    timestamp2=timestamp(end),
                )
            if len(seen) >= self.max_pages:
                raise self._fail(
                    "Graph sent over {max_pages} pages for {function} "
                    "{timestamp}..{timestamp2}; stopped",
                    max_pages=number(self.max_pages),
                    function=function,
                    timestamp=timestamp(start),
                    timestamp2=timestamp(end),
                )
            seen.add(url)
            page = self.get(url, f"{function} {timestamp(start)}..{timestamp(end)}")
            url = self._next_link(page)
            self.counters.add("pages")
            yield page["value"]
