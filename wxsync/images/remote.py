"""Download an image a post links to, without trusting the server.

A remote image is fetched in CI from whatever host the post names. The server decides the
size, the redirects and the body, so each is checked: http(s) only (also after a redirect),
a size cap counted while reading (Content-Length can lie or be absent), an overall time
budget (a server dripping a byte per second never trips a read timeout), and magic bytes that
say "image" (an HTML error page with status 200 is common).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from wxsync.images.errors import ImageError
from wxsync.images.formats import describe_unknown, image_type
from wxsync.redact import redact

MAX_REDIRECTS = 5
# The whole download may take this many times `timeout`; each network wait at most `timeout`.
_BUDGET_FACTOR = 4
_CHUNK = 64 * 1024
_SNIFF_BYTES = 64


def fetch_remote(
    url: str,
    session: requests.Session,
    *,
    timeout: float = 15.0,
    max_bytes: int = 20_000_000,
    allow_private: bool = False,
) -> bytes:
    """The image at `url`, or an `ImageError` naming the URL and what to do.

    Errors show the URL without its query string and fragment, which may hold tokens. Unless
    `allow_private`, hosts that resolve to loopback, private or link-local addresses are
    refused, at every redirect: a post must not make the CI runner fetch (and publish) its
    cloud metadata endpoint or a service on its own network.
    """
    shown = display_url(url)
    _require_http(url, shown, "is not an http(s) URL")
    deadline = time.monotonic() + _BUDGET_FACTOR * timeout
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        if not allow_private:
            _require_public(current, shown)
        try:
            response = session.get(
                current,
                stream=True,
                timeout=timeout,
                allow_redirects=False,
                headers={"Accept": "image/*"},
            )
        except requests.RequestException as exc:
            raise _network_error(shown, exc, timeout) from None
        with response:
            if response.is_redirect:
                current = urljoin(current, response.headers.get("location", ""))
                _require_http(
                    current, shown, "redirects to a non-http(s) URL, which is not followed"
                )
                continue
            if response.status_code >= 400:
                reason = f" {response.reason}" if response.reason else ""
                raise ImageError(
                    shown, f"the server answered HTTP {response.status_code}{reason}: check the URL"
                )
            return _read(response, shown, timeout, max_bytes, deadline)
    raise ImageError(
        shown, f"redirects more than {MAX_REDIRECTS} times: link the image's final URL"
    )


def display_url(url: str) -> str:
    """`url` as safe to print: no user:password, no query string (replaced by "?…"), no fragment."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    query = "?…" if parts.query else ""
    return redact(f"{parts.scheme}://{host}{parts.path}{query}")


def _require_http(url: str, shown: str, message: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        scheme = f" ('{parts.scheme}:')" if parts.scheme else ""
        raise ImageError(shown, f"{message}{scheme}: link an http(s) image URL")


def _require_public(url: str, shown: str) -> None:
    """Refuse a URL whose host resolves to an address that is not on the public internet."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        raise ImageError(shown, f"the host {host!r} cannot be resolved: check the URL") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise ImageError(
                shown,
                f"{host} is a loopback, private or link-local address ({address}); wxsync does "
                "not fetch from those — set `images: {allow_private_hosts: true}` in wxsync.yml "
                "if this server is yours",
            )


def _read(
    response: requests.Response, shown: str, timeout: float, max_bytes: int, deadline: float
) -> bytes:
    too_big = f"is larger than {max_bytes:,} bytes: download it into the repository and shrink it"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ImageError(shown, too_big)
    body = bytearray()
    checked = False
    try:
        for chunk in _chunks(response):
            body += chunk
            if len(body) > max_bytes:
                raise ImageError(shown, too_big)
            if not checked and len(body) >= _SNIFF_BYTES:
                _require_image(bytes(body), response, shown)
                checked = True
            if time.monotonic() > deadline:
                raise ImageError(
                    shown,
                    f"took longer than {_BUDGET_FACTOR * timeout:g} s to download: "
                    "try again or download it into the repository",
                )
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise _network_error(shown, exc, timeout) from None
    data = bytes(body)
    if not checked:
        _require_image(data, response, shown)
    return data


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives, decoded (gzip and the like).

    urllib3 2's `read1` returns what one socket read brought, so a server dripping bytes
    cannot keep us from checking the deadline; `iter_content` (the fallback for urllib3 1)
    waits until a whole chunk has arrived.
    """
    read1 = getattr(response.raw, "read1", None)
    if read1 is None:
        yield from response.iter_content(_CHUNK)
        return
    while chunk := read1(_CHUNK, decode_content=True):
        yield chunk


def _require_image(head: bytes, response: requests.Response, shown: str) -> None:
    if image_type(head) is not None:
        return
    content_type = (
        response.headers.get("content-type", "").split(";")[0].strip() or "no Content-Type"
    )
    raise ImageError(
        shown,
        f"did not return an image ({content_type}): the body is {describe_unknown(head)}; link the image file itself",
    )


def _network_error(
    shown: str, exc: requests.RequestException | urllib3.exceptions.HTTPError, timeout: float
) -> ImageError:
    """Describe a failed request without `str(exc)`, which quotes the full URL."""
    # requests reports a read timeout during streaming as a ConnectionError.
    timed_out = isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError)
    if timed_out or "timed out" in str(exc).lower():
        return ImageError(
            shown,
            f"no answer within {timeout:g} s: check the URL, or download the image into the repository",
        )
    broken = requests.exceptions.ChunkedEncodingError | urllib3.exceptions.ProtocolError
    if isinstance(exc, broken):
        return ImageError(shown, "the connection broke during the download: try again")
    if isinstance(exc, requests.ConnectionError):
        return ImageError(shown, "could not connect to the server: check the URL and the network")
    return ImageError(shown, f"the download failed ({type(exc).__name__}): check the URL")
