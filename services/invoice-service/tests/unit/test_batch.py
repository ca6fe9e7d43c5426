import pytest

from invoice_service.domain.batch import BatchFormatError, parse_csv, parse_ndjson

D = "6f1c2a8e-0000-4000-8000-000000000001"


def test_ndjson_rows_are_numbered_by_line_and_bad_lines_reported() -> None:
    text = f'{{"external_id":"a","debtor_id":"{D}","amount_cents":100,"due_date":"2026-01-01"}}\n\nnot json\n[1]\n{{"external_id":"b"}}\n'
    parsed = parse_ndjson(text, max_rows=10)
    assert [row for row, _ in parsed.rows] == [1, 5]
    assert parsed.rows[0][1]["amount_cents"] == 100
    assert [(e.row, e.detail.split(":")[0]) for e in parsed.errors] == [
        (3, "not JSON"),
        (4, "each line must be a JSON object"),
    ]


def test_ndjson_row_limit() -> None:
    with pytest.raises(BatchFormatError, match="at most 2"):
        parse_ndjson("{}\n{}\n{}\n", max_rows=2)


def test_csv_with_header_converts_amounts_and_empty_descriptions() -> None:
    text = (
        "external_id,debtor_id,amount_cents,due_date,description\n"
        f"a,{D},1500,2026-01-01,\n"
        f"b,{D},10.50,2026-01-01,Mensalidade\n"
        f"c,{D},1,2026-01-01,x,extra\n"
    )
    parsed = parse_csv(text, max_rows=10)
    assert parsed.rows[0] == (
        1,
        {
            "external_id": "a",
            "debtor_id": D,
            "amount_cents": 1500,
            "due_date": "2026-01-01",
            "description": None,
        },
    )
    assert parsed.rows[1][1]["amount_cents"] == "10.50"  # left for validation to refuse
    assert [(e.row, e.detail) for e in parsed.errors] == [(3, "more fields than the header names")]


def test_csv_header_is_required_and_checked() -> None:
    with pytest.raises(BatchFormatError, match="header"):
        parse_csv("", max_rows=10)
    with pytest.raises(BatchFormatError, match="lacks: due_date"):
        parse_csv("external_id,debtor_id,amount_cents\n", max_rows=10)
    with pytest.raises(BatchFormatError, match="unknown CSV columns: foo"):
        parse_csv("external_id,debtor_id,amount_cents,due_date,foo\n", max_rows=10)
    with pytest.raises(BatchFormatError, match="at most 1"):
        parse_csv(
            f"external_id,debtor_id,amount_cents,due_date\na,{D},1,2026-01-01\nb,{D},1,2026-01-01\n",
            max_rows=1,
        )
