"""`http(s)://` sources: fetch one URL with httpx, safely, into bytes for the format readers.

Article URLs come from hostile lists, so a fetch is bounded (time, redirects, bytes after
content decoding) and, unless private addresses are allowed, refuses any host that resolves to
a private, loopback, link-local or reserved address, checked again on every redirect, and then
connects to the very address it checked. Redirects are followed here, hop by hop, never by httpx.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from narrascope.ingest.decode import CHUNK, NotReadable

USER_AGENT = "Narrascope/0.1 (news research; +https://github.com/narrascope)"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched body with what the server said about it."""

    url: str  # after redirects
    body: bytes
    mime: str | None
    charset: str | None


def resolve_host(host: str) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise NotReadable(f"cannot resolve host {host!r} ({exc})") from exc
    return sorted({str(info[4][0]) for info in infos})


def refuse_private(host: str, resolve: Callable[[str], list[str]] = resolve_host) -> list[str]:
    """The addresses of `host`; raises `NotReadable` unless every one is public unicast."""
    addresses = resolve(host.strip("[]"))
    if not addresses:
        raise NotReadable(f"cannot resolve host {host!r}")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        for form in (*embedded_ipv4(address), address):
            if not form.is_global or form.is_multicast:
                raise NotReadable(
                    f"refused: {host} resolves to non-public address {form} "
                    "(--allow-private fetches it)"
                )
    return addresses


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[Any]:
    """The IPv4 addresses an IPv6 address carries: mapped, NAT64, 6to4, IPv4-compatible, Teredo.

    Each reaches that IPv4 host through a translator or tunnel, so a private one behind a
    public-looking IPv6 form must be refused too (#18).
    """
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    last32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    found: list[Any] = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        found.append(address.teredo[1])
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        found.append(last32)
    return [a for a in found if a is not None]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class Fetcher:
    """Fetches URLs with one httpx client under time, redirect and size limits."""

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        allow_private: bool = False,
        max_bytes: int = 20_000_000,
        timeout: float = 30.0,
        max_redirects: int = 5,
        resolve: Callable[[str], list[str]] = resolve_host,
    ) -> None:
        self.owned = client is None
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        self.allow_private, self.max_bytes, self.timeout = allow_private, max_bytes, timeout
        self.max_redirects, self.resolve = max_redirects, resolve

    def close(self) -> None:
        """Close the client if this fetcher made it."""
        if self.owned:
            self.client.close()

    def fetch(self, url: str) -> Fetched:
        """The body at `url` after at most `max_redirects` checked redirects; raises `NotReadable`."""
        deadline = time.monotonic() + self.timeout
        try:
            current = httpx.URL(url)
            for _ in range(self.max_redirects + 1):
                # The whole chain shares one time budget, not each hop its own (#18).
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NotReadable(f"timed out (redirects slower than {self.timeout:.0f} s)")
                if current.scheme not in ("http", "https"):
                    raise NotReadable(f"unsupported URL scheme {current.scheme!r}")
                if not current.host:
                    raise NotReadable("URL has no host")
                target_url, headers, extensions = current, {}, {}
                if not self.allow_private:
                    addresses = refuse_private(current.host, self.resolve)
                    if not _is_ip(current.host):
                        # Connect to the address just checked, not to a second DNS answer
                        # (DNS rebinding); Host and TLS SNI still name the host.
                        target_url = current.copy_with(host=addresses[0])
                        headers = {"Host": current.netloc.decode("ascii")}
                        if current.scheme == "https":
                            extensions = {"sni_hostname": current.host}
                            # A pooled connection is keyed by address, not name: never reuse
                            # one whose TLS was checked for another host on the same address.
                            headers["Connection"] = "close"
                with self.client.stream(
                    "GET",
                    target_url,
                    headers=headers,
                    extensions=extensions,
                    follow_redirects=False,
                    timeout=httpx.Timeout(left, connect=min(left, 10.0)),
                ) as response:
                    if response.is_redirect:
                        target = response.headers.get("location")
                        if not target:
                            raise NotReadable(
                                f"HTTP {response.status_code} redirect without a location"
                            )
                        current = current.join(target)
                        continue
                    if not response.is_success:
                        raise NotReadable(
                            f"HTTP {response.status_code} {response.reason_phrase}".strip()
                        )
                    return self._body(str(current), response, deadline)
            raise NotReadable(f"too many redirects (more than {self.max_redirects})")
        except httpx.TimeoutException as exc:
            raise NotReadable(f"timed out ({type(exc).__name__})") from exc
        except httpx.InvalidURL as exc:
            raise NotReadable(f"invalid URL ({exc})") from exc
        except httpx.HTTPError as exc:
            raise NotReadable(f"fetch failed ({type(exc).__name__}: {exc})") from exc

    def _body(self, url: str, response: httpx.Response, deadline: float) -> Fetched:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise NotReadable(f"page over size cap ({int(declared):,} > {self.max_bytes:,} bytes)")
        body = bytearray()
        for chunk in response.iter_bytes(CHUNK):  # decoded: the cap holds for gzip bombs too
            body += chunk
            if len(body) > self.max_bytes:
                raise NotReadable(f"page over size cap ({self.max_bytes:,} bytes)")
            if time.monotonic() > deadline:
                raise NotReadable(f"timed out (slower than {self.timeout:.0f} s)")
        content_type = response.headers.get("content-type", "")
        mime = content_type.partition(";")[0].strip().lower() or None
        return Fetched(url, bytes(body), mime, response.charset_encoding)
