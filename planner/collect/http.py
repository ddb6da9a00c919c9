"""What the Graph client trusts of an HTTP answer, and nothing more.

- :func:`read_body`: a body read in chunks up to a byte limit, compressed or not (a gzip
  bomb stops at the limit, not in memory);
- :func:`retry_after`: ``Retry-After`` parsed strictly: ASCII digits, or an HTTP date in any
  zone (none and ``-0000`` mean UTC);
- :class:`Scrubber`: every message the client prints, with the secret, the tokens and any
  bearer-looking text replaced by ``***`` and control characters removed;
- :class:`AuthorityOnly`: the HTTP client given to MSAL, which talks to the sign-in host given
  and nothing else (no redirect followed, no answer that is not JSON passed on);
- :func:`base_url`, :func:`too_deep`, :func:`kind_of`: the addresses the client is given, and
  what an answer's JSON may be.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import zlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from planner.errors import InputError
from planner.text import number

#: the largest body read from Graph (a page of 1,000 rows is about 1 MiB)
MAX_PAGE_BYTES = 64 << 20
#: the largest sign-in answer read (a token answer is a few KiB)
MAX_SIGN_IN_BYTES = 1 << 20
_CHUNK = 1 << 16

_DIGITS = re.compile(r"[0-9]{1,12}")
_BEARER = re.compile(r"eyJ[A-Za-z0-9_\-]{8,}(?:\.[A-Za-z0-9_\-]*){0,2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


class GraphError(InputError):
    """Graph or the sign-in refused, or stayed unavailable: exit code 2, one line."""


def origin(url: str) -> tuple[str, str]:
    """``(scheme, host:port)`` of a URL, lower case."""
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


#: what the client accepts compressed (``Accept-Encoding``), and how zlib reads each
_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}
ACCEPT_ENCODING = "gzip, deflate"


def read_body(response: requests.Response, limit: int, what: str) -> bytes:
    """The body of a streamed ``response``, decompressed, refused past ``limit`` bytes.

    The compressed bytes are read in chunks and inflated here with a bound on each step's
    output, so a small body that inflates to gigabytes stops at ``limit`` in memory too.

    Raises
    ------
    GraphError
        When the announced or the actual (decompressed) size passes ``limit``, or the body
        is in an encoding the client did not ask for.
    """
    announced = response.headers.get("Content-Length", "")
    too_big = GraphError(
        "{what}: an answer of over {limit} bytes (compressed or not); refused",
        what=what,
        limit=number(limit),
    )
    if _DIGITS.fullmatch(announced.strip()) and int(announced) > limit:
        response.close()
        raise too_big
    raw = getattr(response, "raw", None)
    try:
        if raw is None or not hasattr(raw, "stream"):  # a body already in memory
            body = b"".join(response.iter_content(_CHUNK))
            if len(body) > limit:
                raise too_big
            return body
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding in ("", "identity"):
            inflate = None
        elif encoding in _WBITS:
            inflate = zlib.decompressobj(_WBITS[encoding])
        else:
            raise GraphError(
                "{what}: an answer in {encoding!r}, not asked for; refused",
                what=what,
                encoding=encoding[:20],
            )
        return _inflated(raw.stream(_CHUNK, decode_content=False), inflate, limit, too_big)
    except zlib.error:
        raise requests.exceptions.ContentDecodingError(
            f"{what}: a damaged compressed body"
        ) from None
    except urllib3.exceptions.HTTPError:
        # the connection broke mid-body (fewer bytes than announced, a reset, a timeout):
        # the stream raises urllib3's error where ``iter_content`` would raise requests' own
        raise requests.exceptions.ChunkedEncodingError(
            f"{what}: the connection broke before the whole answer came"
        ) from None
    finally:
        response.close()


def _inflated(chunks: Iterable[bytes], inflate: Any, limit: int, too_big: GraphError) -> bytes:
    """The bytes of ``chunks``, inflated by ``inflate`` (or as they are), at most ``limit``."""
    out: list[bytes] = []
    size = 0
    for chunk in chunks:
        while chunk:
            if inflate is None:
                data, chunk = chunk, b""
            else:
                data = inflate.decompress(chunk, limit - size + 1)
                chunk = inflate.unconsumed_tail
            size += len(data)
            if size > limit:
                raise too_big
            out.append(data)
    if inflate is not None:
        out.append(inflate.flush())
    return b"".join(out)


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when it is neither form.

    >>> retry_after("120"), retry_after("²"), retry_after("-5"), retry_after(None)
    (120.0, None, None, None)
    >>> t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> retry_after("Thu, 01 Jan 2026 00:00:30 GMT", t), retry_after("Thu, 01 Jan 2026 00:01:00 -0000", t)
    (30.0, 60.0)
    >>> retry_after("Thu, 01 Jan 2026 00:00:10", t), retry_after("Thu, 01 Jan 2026 01:00:00 +0100", t)
    (10.0, 0.0)
    """
    if value is None:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):
        return float(value)
    if not value.isascii() or len(value) > 64:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # no zone, or -0000: the date is UTC (RFC 9110, RFC 5322)
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


class Scrubber:
    """Removes secrets and control characters from a message (see the module docstring)."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        self._secrets: set[str] = {s for s in secrets if s and len(s) >= 4}

    def add(self, secret: str | None) -> None:
        """Hide ``secret`` too (an access token as it arrives)."""
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def __call__(self, text: str, limit: int = 300) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        text = _BEARER.sub("***", text)
        text = _CONTROL.sub(" ", text).strip()
        return text if len(text) <= limit else text[: limit - 3] + "..."


def first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class AuthorityOnly:
    """The HTTP client MSAL signs in with: only the authority's host, answers checked.

    A request to another host is refused before anything is sent (the token endpoint named
    by the sign-in metadata included); a redirect is never followed; an answer that is not
    JSON, or is too large, ends the sign-in with a one-line message saying what came back.
    """

    def __init__(self, session: requests.Session, authority: str, scrub: Scrubber, timeout: float):
        self.session = session
        self.authority = authority
        self.home = origin(authority)
        self.scrub = scrub
        self.timeout = timeout

    def _checked(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        there = origin(url)
        if there != self.home:
            raise GraphError(
                "sign-in: the authority {authority} sent the client to another host "
                "({scrub}); refused, nothing was sent there",
                authority=self.authority,
                scrub=self.scrub(there[1], 100),
            )
        kwargs.update(allow_redirects=False, stream=True)
        kwargs["headers"] = {**(kwargs.get("headers") or {}), "Accept-Encoding": ACCEPT_ENCODING}
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            raise GraphError(
                "sign-in: cannot reach {authority} ({scrub})",
                authority=self.authority,
                scrub=self.scrub(first_line(exc)),
            ) from None
        status = response.status_code
        if 300 <= status < 400:
            response.close()
            target = origin(response.headers.get("Location", ""))[1] or "no address"
            raise GraphError(
                "sign-in: {authority} answered {status}, a redirect to {scrub}; not "
                "followed, the credential was not sent there",
                authority=self.authority,
                status=status,
                scrub=self.scrub(target, 100),
            )
        body = read_body(response, MAX_SIGN_IN_BYTES, f"sign-in at {self.authority}")
        if not _is_json_object(body):
            kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no type"
            raise GraphError(
                "sign-in: {authority} answered {status} with {scrub}, not a sign-in "
                "answer (JSON); check --authority (a proxy or captive portal?)",
                authority=self.authority,
                status=status,
                scrub=self.scrub(kind, 60),
            )
        response._content = body  # MSAL reads .text from the bounded body
        return response

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any):
        return self._checked("GET", url, params=params, headers=headers, **kwargs)

    def post(self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kw: Any):
        return self._checked("POST", url, params=params, data=data, headers=headers, **kw)

    def close(self) -> None:
        self.session.close()


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


def too_deep(obj: Any, limit: int) -> bool:
    """Whether ``obj`` nests lists and objects deeper than ``limit`` levels (no recursion)."""
    stack = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def base_url(url: str, option: str, example: str) -> str:
    """``url`` without its trailing ``/``, when it is an https address with a host and no
    credential, query or fragment; else an :class:`InputError` naming ``option``."""
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise InputError(
            "{option} {url}: give an https:// address (e.g. {default_graph_url})",
            option=option,
            url=_shown(url),
            default_graph_url=example,
        )
    return url.rstrip("/")


def _shown(url: str) -> str:
    """``url`` as an error may print it: a user name, password, query or fragment (where a
    credential may have been pasted) written ``***``."""
    parts = urlsplit(url)
    if not (parts.username or parts.password or parts.query or parts.fragment):
        return url
    host = parts.netloc.rpartition("@")[2]
    netloc = f"***@{host}" if parts.username or parts.password else host
    query = "?***" if parts.query else ""
    fragment = "#***" if parts.fragment else ""
    return f"{parts.scheme}://{netloc}{parts.path}{query}{fragment}"
