"""The customers export as a spreadsheet opens it: a byte-order mark, `;` where the language
writes a decimal comma, whole amounts, rounded percentages, days in the team's zone (said in
the header), phone numbers as people write them, formulas neutralised."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from crm_core.customers.export import separator_for, spreadsheet_csv


def test_a_spreadsheet_file_has_a_bom_local_days_whole_amounts_and_no_formulas() -> None:
    frame = pd.DataFrame(
        {
            "id": [7, 8],
            "name": ['=HYPERLINK("http://x")', "Siti"],
            "phone": ["+6281234567890", None],
            "net_revenue": [1250000.4, float("nan")],  # the second hidden by the amounts rule
            "churn_risk": [0.456, 0.05],
            # 18:30 UTC on 1 March is 2 March, 01:30 in Jakarta
            "last_order_at": [datetime(2026, 3, 1, 18, 30), None],
        }
    )
    headers = {"name": "Nama", "phone": "Telepon", "net_revenue": "Pendapatan bersih",
               "churn_risk": "Risiko churn", "last_order_at": "Pesanan terakhir"}  # fmt: skip
    raw = spreadsheet_csv(frame, headers, zone="Asia/Jakarta", separator=separator_for("id"))
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == (
        "id;Nama;Telepon;Pendapatan bersih;Risiko churn (%);Pesanan terakhir (Asia/Jakarta)"
    )
    assert lines[1] == '7;"\'=HYPERLINK(""http://x"")";0812-3456-7890;1250000;46;2026-03-02'
    assert lines[2] == "8;Siti;;;5;"
    assert separator_for("en") == ","
