"""The transport: httpcore connection pools on asyncio sockets, and failures given a kind.

httpcore is httpx's engine without httpx's per-request layers (URL model, cookies, auth,
event hooks), which cost as much CPU again as the pool itself once a run has thousands of
links. Its sockets go straight onto asyncio streams: httpcore's default goes through anyio,
whose cancel scope around every read and write cost a third of the pool's CPU.

A failure gets its kind (``FailureKind``) where it is caught, from the exception's type
(a refused connection, a name that does not resolve, a TLS handshake), never from the
text of a message. Tests hand in another ``httpcore.AsyncNetworkBackend`` to stand in for
the internet; everything above the sockets then runs as in production.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import cache
from typing import Any

import httpcore
import httpx


class FailureKind(StrEnum):
    """Why a request got no usable answer. ``connects`` tells the kinds where no connection
    could be made at all: true of the host, not of one URL."""

    DNS = "dns"  # the name does not resolve
    REFUSED = "refused"  # nothing listens there
    UNREACHABLE = "unreachable"  # no route, or no answer to connecting in time
    TLS = "tls"  # the handshake failed: certificate, protocol
    TIMEOUT = "timeout"  # connected, but no answer within the deadline
    RESET = "reset"  # the connection was dropped or reset before the answer was whole
    PROTOCOL = "protocol"  # what came back was not HTTP
    REDIRECT_LOOP = "redirect loop"
    TOO_MANY_REDIRECTS = "too many redirects"
    INVALID_URL = "invalid URL"
    SKIPPED = "skipped"  # the settings leave this host alone

    @property
    def connects(self) -> bool:
        return self in NO_CONNECTION


NO_CONNECTION = frozenset(
    {FailureKind.DNS, FailureKind.REFUSED, FailureKind.UNREACHABLE, FailureKind.TLS}
)
# Worth another try after a backoff: a server restarting refuses for a moment, a resolver
# can fail once, a connection can break. (A TLS problem stays; a timeout gets one retry.)
RETRYABLE_FAILURES = frozenset(
    {
        FailureKind.DNS,
        FailureKind.REFUSED,
        FailureKind.UNREACHABLE,
        FailureKind.TIMEOUT,
        FailureKind.RESET,
        FailureKind.PROTOCOL,
    }
)


class ConnectFailure(httpcore.ConnectError):
    """A connection that could not be made, with its kind, and whether the host is this
    machine (its failure then says nothing of the network)."""

    def __init__(self, kind: FailureKind, message: str, loopback: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.loopback = loopback


class StreamFailure(httpcore.ReadError):
    """A connection that failed while reading or writing, with its kind."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def parse_failure(error: BaseException) -> FailureKind:
    """The kind of an exception the transport or the pool raised."""
    kind = getattr(error, "kind", None)
    if isinstance(kind, FailureKind):
        return kind
    if isinstance(error, TimeoutError | httpcore.TimeoutException | httpx.TimeoutException):
        return FailureKind.TIMEOUT
    if isinstance(error, httpcore.ConnectError | httpx.ConnectError):
        return FailureKind.UNREACHABLE
    if isinstance(error, httpcore.RemoteProtocolError | httpcore.ReadError | httpcore.WriteError):
        return FailureKind.RESET
    if isinstance(error, httpcore.UnsupportedProtocol | httpx.InvalidURL | ValueError):
        return FailureKind.INVALID_URL
    return FailureKind.PROTOCOL


TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    httpx.TransportError,
    httpx.InvalidURL,
    ValueError,  # an address httpcore cannot even form (a port that is no number)
)


def _connect_kind(error: OSError) -> FailureKind:
    if isinstance(error, socket.gaierror):
        return FailureKind.DNS
    if isinstance(error, ConnectionRefusedError):
        return FailureKind.REFUSED
    if isinstance(error, ssl.SSLError):
        return FailureKind.TLS
    return FailureKind.UNREACHABLE


Connected = Callable[[str, int, bool], None]


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Sockets for httpcore straight on asyncio streams. ``connected(host, port, loopback)``
    is told of every connection made, and whether it went to this machine."""

    def __init__(self, connected: Connected | None = None) -> None:
        self.connected = connected

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=local, happy_eyeballs_delay=0.25
                )
        except TimeoutError as error:
            message = f"no connection within {timeout} s"
            raise ConnectFailure(
                FailureKind.UNREACHABLE, message, await read_loopback(host)
            ) from error
        except OSError as error:
            kind, loopback = _connect_kind(error), await read_loopback(host)
            raise ConnectFailure(kind, _describe(error), loopback) from error
        if self.connected:
            peer = writer.get_extra_info("peername") or ("",)
            self.connected(host, port, is_loopback_address(str(peer[0])))
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection as httpcore wants it: reads and writes with timeouts, TLS upgrade."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(httpcore.ReadTimeout):
            async with asyncio.timeout(timeout):
                return await self.reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _mapped(httpcore.WriteTimeout):
            self.writer.write(buffer)
            if not self.writer.transport.get_write_buffer_size():
                # All sent: drain cannot wait, so it needs no timer (a tenth of a request's
                # CPU); it still raises for a connection already lost.
                await self.writer.drain()
                return
            async with asyncio.timeout(timeout):
                await self.writer.drain()

    async def aclose(self) -> None:
        self.writer.close()
        # The socket is closed on the loop's next turn; take it, so a run that ends now
        # leaves no socket open. (Not wait_closed: a TLS peer may never answer the goodbye.)
        await asyncio.sleep(0)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self.writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as error:
            raise ConnectFailure(FailureKind.TLS, "no TLS handshake in time") from error
        except OSError as error:  # ssl.SSLError is one: "certificate verify failed" stays
            raise ConnectFailure(FailureKind.TLS, _describe(error)) from error
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # idle, yet the server closed it or sent something
            return self.reader.at_eof() or self.writer.transport.is_closing()
        if info in ("ssl_object", "socket"):
            return self.writer.get_extra_info(info)
        if info in ("client_addr", "server_addr"):
            return self.writer.get_extra_info("sockname" if info == "client_addr" else "peername")
        return None


@contextmanager
def _mapped(timeout: type[Exception]) -> Iterator[None]:
    """asyncio's timeouts and socket errors as the httpcore errors its callers expect."""
    try:
        yield
    except TimeoutError as error:
        raise timeout(str(error) or type(error).__name__) from error
    except OSError as error:
        raise StreamFailure(FailureKind.RESET, _describe(error)) from error


def build_pool(
    connections: int,
    backend: httpcore.AsyncNetworkBackend,
) -> httpcore.AsyncConnectionPool:
    """One connection pool (the Fetcher keeps one per host). It keeps no cookies and knows
    no proxies or redirects, by construction."""
    return httpcore.AsyncConnectionPool(
        ssl_context=ssl_context(),
        max_connections=connections,
        max_keepalive_connections=connections,
        network_backend=backend,
    )


@cache
def ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~15 ms; the Fetcher builds a pool per host, so share it.
    return httpx.create_ssl_context()


# URLs made only of characters RFC 3986 allows need no re-encoding (IPv6 literals aside).
PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+")


def parse_request_url(url: str) -> httpcore.URL:
    """The URL as sent: plain ASCII URLs as they are, anything else (non-ASCII paths,
    international domain names, spaces, IPv6) encoded the way httpx encodes it."""
    if PLAIN_URL.fullmatch(url):
        try:
            return httpcore.URL(url)
        except ValueError as error:  # a port that is not a number
            raise httpx.InvalidURL(f"{url}: {error}") from error
    parsed = httpx.URL(url)
    return httpcore.URL(
        scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
    )


def render_host_header(url: httpcore.URL) -> bytes:
    host = b"[%b]" % url.host if b":" in url.host else url.host  # an IPv6 literal
    default = {b"http": 80, b"https": 443}.get(url.scheme)
    return host if url.port in (None, default) else b"%b:%d" % (host, url.port)


def parse_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names in lower case; repeated headers joined with commas, as httpx does."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


async def decode_chunks(chunks: AsyncIterator[bytes], encoding: str) -> AsyncIterator[bytes]:
    """The body with its ``Content-Encoding`` (gzip or deflate, the ones we ask for) undone."""
    decoder = _decompressor(encoding.strip().lower())
    async for chunk in chunks:
        yield decoder.decompress(chunk) if decoder else chunk
    if decoder:
        yield decoder.flush()


def _decompressor(encoding: str) -> Any:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Deflate()
    return None


class _Deflate:
    """ "deflate" is zlib-wrapped by the standard and raw in some servers: try both."""

    def __init__(self) -> None:
        self.decoder: Any = None

    def decompress(self, data: bytes) -> bytes:
        if self.decoder is None:
            self.decoder = zlib.decompressobj()
            try:
                return bytes(self.decoder.decompress(data))
            except zlib.error:
                self.decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        return bytes(self.decoder.decompress(data))

    def flush(self) -> bytes:
        return bytes(self.decoder.flush()) if self.decoder else b""


class Body:
    """What has been read of a body so far, kept even when reading it fails halfway."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


async def read_chunks_capped(chunks: AsyncIterator[bytes], limit: int | None, body: Body) -> None:
    """Read into ``body`` at most ``limit`` bytes, then stop reading; ``None`` reads to the
    end and keeps nothing (so a connection can be reused)."""
    async for chunk in chunks:
        if limit is None:
            continue
        body.chunks.append(chunk)
        body.size += len(chunk)
        if body.size > limit:
            body.chunks = [body.data[:limit]]
            body.truncated = True
            return


def is_loopback_address(address: str) -> bool:
    """Whether an IP address (or ``localhost``) is this machine."""
    if address.lower().rstrip(".") == "localhost" or address.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(address.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


async def read_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: an address or a name that resolves only to
    loopback addresses (asked when a connection failed, to know whose failure it is)."""
    if is_loopback_address(host):
        return True
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(is_loopback_address(str(info[4][0])) for info in infos)


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__
