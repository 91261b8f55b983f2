"""Reading the CSV a spreadsheet saved: encodings by byte-order mark or by trial, separators
sniffed with quotes respected, and a clear refusal for what is not a table."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from crm_core.exchange import importing
from crm_core.kernel.csv_files import UnreadableFile, read_csv
from crm_core.kernel.messages import render

ROWS = [{"Nama": "Siti Aminah", "Kota": "Bekasi"}, {"Nama": "Dédé Suryadi", "Kota": "Cirebon"}]
TABLE = "Nama,Kota\r\nSiti Aminah,Bekasi\r\nDédé Suryadi,Cirebon\r\n"


def records(source: bytes | str | Path) -> list[dict[str, str]]:
    return read_csv(source).to_dict("records")


def test_utf8_with_and_without_excel_s_byte_order_mark() -> None:
    assert records(TABLE.encode()) == ROWS
    assert records(codecs.BOM_UTF8 + TABLE.encode()) == ROWS  # Excel's "CSV UTF-8"
    assert list(read_csv(codecs.BOM_UTF8 + TABLE.encode()).columns) == ["Nama", "Kota"]


def test_excel_unicode_text_is_tab_separated_utf16_le_with_its_mark() -> None:
    unicode_text = codecs.BOM_UTF16_LE + TABLE.replace(",", "\t").encode("utf-16-le")
    assert unicode_text[:6] == b"\xff\xfeN\x00a\x00"  # what Excel writes, by hand
    assert records(unicode_text) == ROWS


def test_utf16_big_endian_and_utf32_by_their_marks() -> None:
    assert records(codecs.BOM_UTF16_BE + TABLE.encode("utf-16-be")) == ROWS
    assert records(codecs.BOM_UTF32_LE + TABLE.encode("utf-32-le")) == ROWS


def test_utf16_whose_mark_was_dropped_is_told_by_where_its_zero_bytes_are() -> None:
    assert records(TABLE.encode("utf-16-le")) == ROWS
    assert records(TABLE.encode("utf-16-be")) == ROWS


def test_old_excel_csv_in_windows_1252_and_bytes_it_does_not_define_as_latin_1() -> None:
    # é is 0xE9 and the euro sign 0x80 in Windows-1252; neither is valid UTF-8 on its own.
    assert records(b"Nama,Catatan\nD\xe9wi,\x80 50\n") == [{"Nama": "Déwi", "Catatan": "€ 50"}]
    assert records("Nama,Catatan\nDéwi,ok\n".encode("cp1252")) == [
        {"Nama": "Déwi", "Catatan": "ok"}
    ]
    # 0x81 is undefined in Windows-1252: Latin-1 still reads the rest of the file.
    assert records(b"Nama,Kota\nD\xe9wi\x81,Solo\n") == [{"Nama": "Déwi\x81", "Kota": "Solo"}]


def test_a_semicolon_file_whose_quoted_header_holds_a_comma_reads_as_two_columns() -> None:
    text = '"Nama, lengkap";Kota\n"Santoso, Budi";Jakarta\nAni;"Bandung, Jawa Barat"\n'
    frame = read_csv(text.encode())
    assert list(frame.columns) == ["Nama, lengkap", "Kota"]
    assert frame.to_dict("records") == [
        {"Nama, lengkap": "Santoso, Budi", "Kota": "Jakarta"},
        {"Nama, lengkap": "Ani", "Kota": "Bandung, Jawa Barat"},
    ]


def test_semicolon_tab_and_bar_separators_are_sniffed() -> None:
    for separator in (";", "\t", "|"):
        assert records(TABLE.replace(",", separator).encode()) == ROWS, repr(separator)


def test_commas_inside_values_of_a_semicolon_file_do_not_fool_the_sniffer() -> None:
    text = "Nama;Alamat;Kota\nBudi;Jl. Merdeka 1, RT 2, RW 3;Solo\nAni;Jl. Asia Afrika 8;Bandung\n"
    assert records(text.encode())[0] == {
        "Nama": "Budi", "Alamat": "Jl. Merdeka 1, RT 2, RW 3", "Kota": "Solo"
    }  # fmt: skip


def test_one_column_keeps_its_cells_whole_and_a_phone_keeps_its_leading_zero() -> None:
    assert records(b"No HP\n0812 3456 789\n") == [{"No HP": "0812 3456 789"}]
    assert records(b"Nama;Kota\n") == []  # a header alone: its separator still counts
    assert list(read_csv(b"Nama;Kota\n").columns) == ["Nama", "Kota"]


def test_blank_lines_are_kept_so_that_row_numbers_stay_the_file_s_line_numbers() -> None:
    frame = read_csv(b"Nama,Kota\nSiti,Bekasi\n,\nAni,Solo\n")
    assert frame["Nama"].tolist() == ["Siti", "", "Ani"]


def test_a_path_and_text_read_like_bytes_and_the_import_framework_reads_the_same_way(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pelanggan.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + TABLE.replace(",", "\t").encode("utf-16-le"))
    assert records(path) == ROWS
    assert records(TABLE) == ROWS
    assert importing.read_csv is read_csv


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        (b"", "csv.empty", {}),
        (codecs.BOM_UTF8 + b"\r\n", "csv.empty", {}),
        (b"PK\x03\x04\x14\x00\x06\x00", "csv.workbook", {}),  # an .xlsx is a zip
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "csv.workbook", {}),  # an old .xls
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "csv.not_text", {}),
        (
            codecs.BOM_UTF8 + b"Nama\nD\xe9wi\n",
            "csv.bad_encoding",
            {"encoding": "UTF-8", "position": 6},
        ),
        (
            b"Nama,Kota\nSiti,Bekasi\nBudi,Jakarta,Selatan\n",
            "csv.cell_count",
            {"line": 3, "found": 3, "expected": 2, "separator": ","},
        ),
        (b'Nama,Kota\nSiti,Bekasi\n"Budi,Jakarta\nAni,Solo\n', "csv.open_quote", {"line": 3}),
    ],
)
def test_what_is_not_a_readable_table_is_refused_with_a_code_and_its_reason(
    raw: bytes, code: str, params: dict[str, object]
) -> None:
    with pytest.raises(UnreadableFile) as refused:
        read_csv(raw)
    assert (refused.value.code, refused.value.params) == (code, params)


def test_the_refusal_reads_as_a_sentence_that_says_what_to_do() -> None:
    with pytest.raises(UnreadableFile) as refused:
        read_csv(b"Nama,Kota\nSiti,Bekasi\nBudi,Jakarta,Selatan\n")
    assert str(refused.value) == (
        "Line 3 has 3 cells where the header has 2: a cell holding the separator (,) needs "
        "quotes around it."
    )
    with pytest.raises(UnreadableFile) as refused:
        read_csv(b"PK\x03\x04")
    assert str(refused.value).startswith("This is a spreadsheet workbook, not a CSV file. Save")


def test_a_file_past_the_size_limit_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(UnreadableFile) as raised:
        read_csv(b"name\n" + b"Budi Santoso\n" * 200_000, max_bytes=1_000_000)
    assert render(raised.value.message) == "the file is 2.6 MB; imports take at most 1.0 MB"


def test_a_file_past_the_row_limit_is_refused_without_reading_it_all() -> None:
    with pytest.raises(UnreadableFile) as raised:
        read_csv(b"name\n" + b"Budi\n" * 1001, max_rows=1000)
    assert (
        render(raised.value.message)
        == "the file has more than 1,000 rows, the most one import takes"
    )
    assert len(read_csv(b"name\n" + b"Budi\n" * 1000, max_rows=1000)) == 1000
