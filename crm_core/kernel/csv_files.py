"""CSV files in and out: reading whatever a spreadsheet saved, and export safe to open in one."""

from __future__ import annotations

import codecs
import contextlib
import csv
import ctypes
import gc
import io
import re
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from crm_core.kernel.errors import CRMError
from crm_core.kernel.messages import N_, Message

# ---- reading ----------------------------------------------------------------------------------

# Longest first: UTF-32 LE's mark starts with UTF-16 LE's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Files that are spreadsheets, not text: a zip (.xlsx, .ods) or an OLE2 container (.xls).
_WORKBOOK_STARTS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_DELIMITERS = ",;\t|"
_SAMPLE_CHARS = 64 * 1024
_READ_ROWS = 50_000  # rows parsed at a time
_CHECK_BYTES = 1 << 20  # bytes decoded at a time to find the encoding

# Why a file cannot be read, as message codes (their sentences are in the catalogues).
_REASONS = (
    N_("csv.empty"), N_("csv.workbook"), N_("csv.not_text"), N_("csv.bad_encoding"),
    N_("csv.cell_count"), N_("csv.open_quote"), N_("csv.malformed"), N_("csv.too_big"),
    N_("csv.too_many_rows"),
)  # fmt: skip


class UnreadableFile(CRMError):
    """The file cannot be read as a table; `code` and `params` say why, nothing was imported."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(Message(code, params))


def read_csv(
    source: bytes | str | Path, max_bytes: int | None = None, max_rows: int | None = None
) -> pd.DataFrame:
    """A file (path or bytes) or its text as a table of text cells ("0812…" keeps its 0), with
    blank lines kept so that row numbers stay the file's line numbers.

    The encoding comes from a byte-order mark (UTF-8, UTF-16 or UTF-32: Excel's "Unicode Text"
    is UTF-16 LE with one), else UTF-8, else Windows-1252 (older Excel "CSV"), else Latin-1;
    the separator (comma, semicolon, tab or bar) is sniffed from a sample, quotes respected.
    Raises UnreadableFile when the bytes are not a table.
    """
    raw = Path(source).read_bytes() if isinstance(source, Path) else source
    if max_bytes is not None and len(raw) > max_bytes:
        raise UnreadableFile("csv.too_big", size=_megabytes(len(raw)), limit=_megabytes(max_bytes))
    stream, sample = _text_stream(raw)
    if not sample.strip():
        raise UnreadableFile("csv.empty")
    separator = sniff_delimiter(sample)
    try:
        frame = _read_chunks(stream, separator, max_rows)
    except pd.errors.ParserError as exc:
        raise _parse_error(str(exc), separator) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _text_stream(raw: bytes | str) -> tuple[io.TextIOBase, str]:
    """The file as a stream of text (decoded as it is read, so that a 56 MB file is not also
    held as a whole string and a copy of it) and its first characters, to sniff."""
    if isinstance(raw, str):
        text = raw.removeprefix("\ufeff")
        return io.StringIO(text), text[: _SAMPLE_CHARS + 1]
    encoding, skip = encoding_of(raw)
    head = memoryview(raw)[skip : skip + 4 * _SAMPLE_CHARS + 4]  # 4: the widest character
    sample = codecs.getincrementaldecoder(encoding)().decode(head)[: _SAMPLE_CHARS + 1]
    body = io.BytesIO(raw)  # shares the bytes, copies nothing
    body.seek(skip)
    return io.TextIOWrapper(body, encoding=encoding, newline=""), sample


def _read_chunks(stream: io.TextIOBase, separator: str, max_rows: int | None) -> pd.DataFrame:
    """Rows read _READ_ROWS at a time: the parser's buffers stay small, and a file over the
    row limit is refused at the limit, not after reading it all."""
    parts: list[pd.DataFrame] = []
    read = 0
    reader = pd.read_csv(
        stream, sep=separator, dtype=str, keep_default_na=False, skip_blank_lines=False,
        chunksize=_READ_ROWS, nrows=None if max_rows is None else max_rows + 1,
    )  # fmt: skip
    with reader:
        for part in reader:
            read += len(part)
            if max_rows is not None and read > max_rows:
                raise UnreadableFile("csv.too_many_rows", limit=max_rows)
            parts.append(part)
    if len(parts) == 1:
        return parts[0]
    frame = pd.concat(parts, ignore_index=True)
    frame.columns = parts[0].columns
    return frame


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}"


def decode(raw: bytes) -> str:
    """The bytes as text: the byte-order mark's encoding, else the first that fits."""
    encoding, skip = encoding_of(raw)
    return raw[skip:].decode(encoding)


def encoding_of(raw: bytes) -> tuple[str, int]:
    """The bytes' encoding and the length of their byte-order mark: the mark's encoding, else
    the first that decodes them all (checked, the text not kept)."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            _strict(memoryview(raw)[len(mark) :], encoding)
            return encoding, len(mark)
    if raw.startswith(_WORKBOOK_STARTS):
        raise UnreadableFile("csv.workbook")
    if b"\x00" in raw:  # no text encoding a spreadsheet writes as CSV has NULs, but UTF-16 has
        encoding = _utf16_without_mark(raw)
        _strict(raw, encoding)
        return encoding, 0
    for encoding in ("utf-8", "cp1252"):
        try:
            _strict(raw, encoding)
        except UnreadableFile:
            continue
        return encoding, 0
    return "latin-1", 0  # every byte is a character: never fails


def _utf16_without_mark(raw: bytes) -> str:
    """UTF-16 whose mark was dropped: ASCII characters put their zero byte second in LE."""
    sample = raw[:4096]
    odd_zeros, even_zeros = sample[1::2].count(0), sample[0::2].count(0)
    if max(odd_zeros, even_zeros) < len(sample) // 4:
        raise UnreadableFile("csv.not_text")
    return "utf-16-le" if odd_zeros > even_zeros else "utf-16-be"


def _strict(raw: bytes | memoryview, encoding: str) -> None:
    """Refuse bytes that are not all text of `encoding`, naming where (checked a megabyte at
    a time: the text is read later, as a stream)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(raw)
    low = 0
    try:
        for low in range(0, len(view), _CHECK_BYTES):
            decoder.decode(view[low : low + _CHECK_BYTES], final=low + _CHECK_BYTES >= len(view))
    except UnicodeDecodeError as exc:
        name = encoding.upper().replace("-LE", " LE").replace("-BE", " BE")
        raise UnreadableFile("csv.bad_encoding", encoding=name, position=low + exc.start) from None


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon, tab or bar, from the first lines (whole lines only)."""
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:  # one column, or too little to tell: count in the header, quotes aside
        header = re.sub(r'"[^"]*"', "", sample.split("\n", 1)[0])
        best = max(_DELIMITERS, key=header.count)
        return best if header.count(best) else ","


def _parse_error(detail: str, separator: str) -> UnreadableFile:
    shown = {"\t": "tab"}.get(separator, separator)
    if counted := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail):
        expected, line, found = (int(n) for n in counted.groups())
        return UnreadableFile(
            "csv.cell_count", line=line, found=found, expected=expected, separator=shown
        )
    if quoted := re.search(r"EOF inside string starting at row (\d+)", detail):
        return UnreadableFile("csv.open_quote", line=int(quoted[1]) + 1)  # pandas counts from 0
    return UnreadableFile("csv.malformed")


def give_memory_back() -> None:
    """After a big file is done with: collect its cycles and hand glibc's freed heap back to
    the system (a 500,000-row file's cells are millions of small strings: freed, their pages
    stayed the server's; measured 490 MB -> 1,347 MB, and it stayed)."""
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # musl: nothing to trim with
            ctypes.CDLL("libc.so.6").malloc_trim(0)


# ---- safe export ------------------------------------------------------------------------------

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it plain text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> str:
    """The frame as CSV text with every text cell neutralised; numbers are left as numbers."""
    cleaned = frame.copy()
    for column in cleaned.columns:
        if cleaned[column].dtype == object or pd.api.types.is_string_dtype(cleaned[column]):
            cleaned[column] = cleaned[column].map(neutralise)
    cleaned.columns = [str(neutralise(str(c))) for c in cleaned.columns]
    return cleaned.to_csv(index=False)
