"""A file longer than one read chunk comes back whole and in order, and the row limit stops
reading at the limit."""

from __future__ import annotations

import pytest

from crm_core.kernel import csv_files
from crm_core.kernel.csv_files import UnreadableFile, read_csv


def test_a_file_of_several_read_chunks_keeps_every_row_in_its_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csv_files, "_READ_ROWS", 7)
    text = "\ufeffnama;no hp\n" + "".join(f"Bu Ani {i};0812{i:04d}\n" for i in range(40))
    frame = read_csv(text.encode("utf-8"))
    assert list(frame.columns) == ["nama", "no hp"]
    assert len(frame) == 40 and list(frame.index) == list(range(40))
    assert frame.iloc[39].tolist() == ["Bu Ani 39", "08120039"]  # text, its 0 kept


def test_a_file_over_the_row_limit_is_refused_while_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csv_files, "_READ_ROWS", 5)
    text = "name\n" + "".join(f"C{i}\n" for i in range(30))
    with pytest.raises(UnreadableFile) as refused:
        read_csv(text.encode("cp1252"), max_rows=12)
    assert refused.value.message.code == "csv.too_many_rows"
    assert len(read_csv(text.encode(), max_rows=30)) == 30
