"""Bytes to text for ingest: capped reads, gzip with a decompressed-size cap, encoding detection.

Every reader goes through here, so one place decides what is binary, what is too big and which
encoding a page is in (BOM, then UTF-8, then what the page or server declares, then
charset-normalizer). Problems are raised as `NotReadable` with a reason for the `BadInput` line.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

import charset_normalizer

CHUNK = 1 << 16
HEAD = 8192  # bytes looked at when sniffing a format, a charset declaration or binary content


class NotReadable(Exception):
    """The bytes cannot become text; `reason` is the one line the run report shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sha256(data: bytes) -> str:
    """Hex SHA-256 of raw input bytes (the `SourceRef.raw_sha256` of a document)."""
    return hashlib.sha256(data).hexdigest()


def read_capped(stream: BinaryIO, max_bytes: int, *, what: str = "input") -> bytes:
    """All bytes of `stream`, refusing (without reading on) once there are more than `max_bytes`."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise NotReadable(f"{what} over size cap ({max_bytes:,} bytes)")
    return data


def gunzip_capped(data: bytes, max_bytes: int) -> bytes:
    """Decompress a gzip file held in memory, refusing gzip bombs and truncated streams."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = data
    try:
        while pending:
            # max_length bounds memory: a bomb is stopped after max_bytes, not after inflation.
            out += inflater.decompress(pending, max_bytes + 1 - len(out))
            if len(out) > max_bytes:
                raise NotReadable(f"decompressed size over cap ({max_bytes:,} bytes)")
            pending = inflater.unconsumed_tail
            if inflater.eof and inflater.unused_data:  # concatenated gzip members
                pending = inflater.unused_data
                inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    except zlib.error as exc:
        raise NotReadable(f"corrupt gzip stream ({exc})") from exc
    if not inflater.eof:
        raise NotReadable("truncated gzip stream")
    return bytes(out)


def gunzip_head(head: bytes) -> bytes:
    """The first decompressed bytes of a gzip stream, for sniffing (errors show up later)."""
    try:
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(head, HEAD)
    except zlib.error:
        return b""


MAX_RATIO = 200  # text and JSON compress 3-20x; a stream inflating far past this is a bomb
RATIO_FREE_BYTES = 8 << 20  # small streams may inflate as they like: each line is capped anyway


class _Counted(io.RawIOBase):
    """Counts the compressed bytes a gzip reader takes from the file."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.count = stream, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class _GuardedGzip(io.RawIOBase):
    """A streaming gzip reader that stops a decompression bomb by its inflation ratio."""

    def __init__(self, stream: BinaryIO) -> None:
        self.packed = _Counted(stream)
        self.inflater = gzip.GzipFile(fileobj=self.packed, mode="rb")
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inflater.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        if self.count > RATIO_FREE_BYTES and self.count > MAX_RATIO * max(self.packed.count, 1):
            raise NotReadable(f"gzip bomb (inflates more than {MAX_RATIO}x)")
        return len(data)


def open_gzip(stream: BinaryIO) -> BinaryIO:
    """A streaming gzip reader for JSONL/CSV; `stream_error` names the ways it can break."""
    return io.BufferedReader(_GuardedGzip(stream), CHUNK)  # type: ignore[return-value]


def stream_error(exc: BaseException) -> str | None:
    """The reason for a failure while streaming a (possibly gzipped) container, or None."""
    if isinstance(exc, EOFError):
        return "truncated gzip stream"
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"corrupt gzip stream ({exc})"
    if isinstance(exc, OSError):
        return f"read error ({exc})"
    return None


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The same marks with the codec that reads what follows them (the mark itself is skipped).
_STREAM_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I
)
_XML_ENCODING = re.compile(
    rb"""<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{2,40})""", re.I
)
# Browsers read a declared latin-1 as windows-1252 (WHATWG Encoding), and so do we.
_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252"}
_ESCAPED = re.compile("[\udc80-\udcff]")
_STRAY_NULS = 4  # NUL bytes in the head that are taken as noise in text, not as binary (#18)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark announces, if the bytes start with one."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def utf16_without_bom(head: bytes) -> str | None:
    """`utf-16-le`/`-be` when NUL bytes fall on every other byte, as in mostly-Latin UTF-16."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < 8:
        return None
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.3 and even_nul < 0.02:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.02:
        return "utf-16-be"
    return None


def declared_charset(head: bytes) -> str | None:
    """The charset an HTML `<meta>` or an XML declaration in the first bytes names."""
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = _ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes, *, declared: str | None = None, markup: bool = False) -> str:
    """Text of `data`: BOM, UTF-8, the declared charset (server, then `<meta>`), then detection.

    `markup` lets an HTML/XML document declare its own charset. Raises `NotReadable` for
    binary content and for bytes no encoding fits.
    """
    encoding = bom_encoding(data)
    if encoding is None and data[:HEAD].count(0) > _STRAY_NULS:
        encoding = utf16_without_bom(data[:HEAD])
        if encoding is None:
            raise NotReadable("binary content (NUL bytes)")
    if encoding is not None:
        try:
            return _checked(data.decode(encoding))
        except UnicodeDecodeError as exc:
            raise NotReadable(f"undecodable bytes ({encoding}: {exc.reason})") from exc
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    candidates = [declared] + ([declared_charset(data[:HEAD])] if markup else [])
    for name in candidates:
        codec = _codec(name)
        if codec and codec not in {"utf-8", "utf-16", "utf-32"}:
            try:
                return _checked(data.decode(codec))
            except UnicodeDecodeError:
                continue
    lenient = _mostly_utf8(data)
    if lenient is not None:
        return _checked(lenient)
    best = charset_normalizer.from_bytes(data).best()
    try:
        # Decode ourselves, strictly: on noise the detector can offer a match that does not fit.
        return _checked(data.decode(best.encoding)) if best else _undecodable()
    except (UnicodeDecodeError, LookupError):
        return _undecodable()


def _undecodable() -> str:
    raise NotReadable("undecodable bytes (no encoding fits)")


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few broken bytes (a page cut mid-character), with U+FFFD for them.

    Real UTF-8 shows many well-formed non-ASCII characters around its few bad bytes; a legacy
    code page (cp1252 with one "©") shows none, and is left to detection.
    """
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    return text if bad <= max(2, len(text) // 2000) and good >= 20 * bad else None


def _checked(text: str) -> str:
    """Refuse text that is mostly control characters: binary data that happened to decode.

    A stray NUL in good text becomes U+FFFD: the parsers downstream refuse NUL, and one such
    byte used to drop the whole page (#18).
    """
    sample = text[:HEAD]
    if sample and len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        raise NotReadable("binary content (control characters)")
    return text.removeprefix("\ufeff").replace("\x00", "\ufffd")


class _Prefixed(io.RawIOBase):
    """`head` then the rest of `stream`: lets a reader look at the first bytes and read them again."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_text(stream: BinaryIO) -> tuple[TextIO, str]:
    """A text view of a line-oriented container (JSONL, CSV) and the encoding found in its head.

    Bytes the encoding cannot decode become lone surrogates (`surrogateescape`), so one bad
    line is reported by `has_undecodable` and the lines after it are still read.
    """
    head = stream.read(HEAD)
    if not head:
        raise NotReadable("empty file")
    encoding: str | None = None
    for bom, name in _STREAM_BOMS:
        if head.startswith(bom):
            head, encoding = head[len(bom) :], name
            break
    else:
        if b"\x00" in head:
            encoding = utf16_without_bom(head)
            if encoding is None:
                raise NotReadable("binary content (NUL bytes)")
        else:
            encoding = _head_encoding(head)
    raw = io.BufferedReader(_Prefixed(head, stream), CHUNK)
    text = io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")
    return text, encoding


def _head_encoding(head: bytes) -> str:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(head).best()
        return codecs.lookup(best.encoding).name if best else "utf-8"


def has_undecodable(text: str) -> bool:
    """Whether a line read through `open_text` held bytes its encoding could not decode."""
    return _ESCAPED.search(text) is not None


def capped_lines(text: TextIO, max_chars: int) -> Iterator[str | None]:
    """The lines of `text`; a line over `max_chars` is skipped unread and comes out as None.

    Raises `NotReadable` when the stream breaks off inside a character (UTF-16 with an odd
    byte count): `surrogateescape` covers stray bytes, not a code unit cut in half.
    """
    try:
        while line := text.readline(max_chars + 1):
            if len(line) > max_chars and not line.endswith(("\n", "\r")):
                while (rest := text.readline(CHUNK)) and not rest.endswith(("\n", "\r")):
                    pass
                yield None
            else:
                yield line
    except UnicodeDecodeError as exc:
        raise NotReadable(f"undecodable bytes ({exc.encoding}: {exc.reason})") from exc
