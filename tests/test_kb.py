"""The knowledge base through the API: entries, categories, validation, import with bad rows
(CSV and XLSX), export, vocabulary, matching, isolation between merchants."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook

from tests.clients import bearer
from tests.factories import World
from tests.kb_data import fill_kb


async def test_entry_crud_and_changes_take_effect_for_matching_at_once(
    http: httpx.AsyncClient, world: World
) -> None:
    admin = bearer(world.admin.token)
    r = await http.post("/api/v1/kb/categories", json={"name": "售后"}, headers=admin)
    assert r.status_code == 201, r.text
    category = r.json()["id"]
    body = {
        "question": "  支持七天无理由退货吗 ",
        "similar": ["可以无理由退货吗", "七天无理由", "可以无理由退货吗"],
        "answer": [
            {"type": "rich", "html": "<p>支持<b>七天</b>无理由<script>alert(1)</script></p>"},
            {"type": "image", "url": "https://shop.example.com/return.png"},
        ],
        "category_id": category,
        "keywords": ["退货"],
    }
    r = await http.post("/api/v1/kb/entries", json=body, headers=admin)
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["question"] == "支持七天无理由退货吗"
    assert entry["similar"] == ["可以无理由退货吗", "七天无理由"]  # trimmed, deduplicated
    assert entry["answer"][0] == {"type": "rich", "html": "<p>支持<b>七天</b>无理由</p>"}

    r = await http.post(
        "/api/v1/kb/match", json={"text": "东西不喜欢能无理由退货吗"}, headers=admin
    )
    assert r.json()["candidates"][0]["entry_id"] == entry["id"]

    # An edit is seen by the very next question (no restart, no wait).
    r = await http.patch(
        f"/api/v1/kb/entries/{entry['id']}", json={"enabled": False}, headers=admin
    )
    assert r.status_code == 200
    assert r.json()["enabled"] is False
    r = await http.post("/api/v1/kb/match", json={"text": "支持七天无理由退货吗"}, headers=admin)
    assert r.json() == {"band": "unknown", "candidates": []}

    r = await http.get(f"/api/v1/kb/entries?category_id={category}", headers=admin)
    assert r.json()["total"] == 1
    r = await http.get("/api/v1/kb/entries?search=无理由", headers=bearer(world.agent.token))
    assert [e["id"] for e in r.json()["entries"]] == [entry["id"]]
    r = await http.get("/api/v1/kb/categories", headers=admin)
    assert r.json() == [{"id": category, "name": "售后", "entries": 1}]

    r = await http.delete(f"/api/v1/kb/entries/{entry['id']}", headers=admin)
    assert r.status_code == 204
    r = await http.get(f"/api/v1/kb/entries/{entry['id']}", headers=admin)
    assert r.status_code == 404


async def test_bad_entries_are_refused_with_the_field(
    http: httpx.AsyncClient, world: World
) -> None:
    admin = bearer(world.admin.token)
    answer = [{"type": "text", "text": "好的"}]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"question": "", "answer": answer}, 422, "question"),
        ({"question": "q", "answer": []}, 422, "answer"),
        ({"question": "q", "answer": [{"type": "event", "event": "closed"}]}, 422, "answer"),
        ({"question": "q", "answer": answer, "category_id": 999999}, 404, "category"),
        (
            {
                "question": "q",
                "answer": answer,
                "valid_from": "2026-12-01T00:00:00Z",
                "valid_until": "2026-11-01T00:00:00Z",
            },
            422,
            "valid_until",
        ),
        ({"question": "q", "answer": answer, "surprise": 1}, 422, "surprise"),
    ]
    for body, status, word in cases:
        r = await http.post("/api/v1/kb/entries", json=body, headers=admin)
        assert r.status_code == status, (body, r.text)
        assert word in r.text, r.text
    r = await http.post(
        "/api/v1/kb/entries", json={"question": "q", "answer": answer}, headers=admin
    )
    assert r.status_code == 201
    r = await http.post(
        "/api/v1/kb/entries", json={"question": "q", "answer": answer}, headers=admin
    )
    assert r.status_code == 409
    # Agents read the knowledge base; only supervisors and admins change it.
    r = await http.post(
        "/api/v1/kb/entries",
        json={"question": "q2", "answer": answer},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 403


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


IMPORT_ROWS = [
    ["question", "similar", "answer", "category", "keywords", "enabled", "valid_until"],
    ["运费怎么算", "邮费多少\n包邮吗", "满 99 包邮。", "物流", "运费,包邮", "yes", ""],
    ["", "", "没有问题的答案", "", "", "", ""],  # row 3: no question
    ["会员有什么权益", "", "", "会员", "", "", ""],  # row 4: no answer
    ["积分怎么用", "", "抵现。", "", "", "maybe", ""],  # row 5: bad flag
    ["优惠券能叠加吗", "", "不能叠加。", "优惠", "", "no", "next tuesday"],  # row 6: bad date
    ["运费怎么算", "", "重复", "", "", "", ""],  # row 7: same question as row 2
    ["支持哪些支付方式", "能用花呗吗|能用信用卡吗", "支付宝、微信、银行卡。", "支付", "", "", ""],
]


async def test_import_reports_each_bad_row_and_keeps_the_good_ones(
    http: httpx.AsyncClient, world: World
) -> None:
    admin = bearer(world.admin.token)
    r = await http.post("/api/v1/kb/import?format=csv", content=_csv(IMPORT_ROWS), headers=admin)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["created"], report["updated"], report["failed"]) == (2, 0, 5)
    where = {(e["row"], e["field"]) for e in report["errors"]}
    assert where == {
        (3, "question"),
        (4, "answer"),
        (5, "enabled"),
        (6, "valid_until"),
        (7, "question"),
    }
    assert all(e["reason"] for e in report["errors"])
    r = await http.get("/api/v1/kb/entries", headers=admin)
    entries = {e["question"]: e for e in r.json()["entries"]}
    assert set(entries) == {"运费怎么算", "支持哪些支付方式"}
    assert entries["运费怎么算"]["similar"] == ["邮费多少", "包邮吗"]
    assert entries["运费怎么算"]["keywords"] == ["运费", "包邮"]
    assert entries["支持哪些支付方式"]["similar"] == ["能用花呗吗", "能用信用卡吗"]
    categories = {
        c["name"] for c in (await http.get("/api/v1/kb/categories", headers=admin)).json()
    }
    assert categories == {"物流", "支付"}

    # Importing again updates by standard question.
    again = [IMPORT_ROWS[0], ["运费怎么算", "", "满 199 包邮。", "物流", "", "", ""]]
    r = await http.post("/api/v1/kb/import", content=_csv(again), headers=admin)
    assert (r.json()["created"], r.json()["updated"]) == (0, 1)


async def test_xlsx_import_and_export_round_trip(http: httpx.AsyncClient, world: World) -> None:
    admin = bearer(world.admin.token)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["question", "similar", "answer_json", "category"])
    sheet.append(
        ["怎么联系客服", "客服电话", '[{"type": "text", "text": "拨打 400-000-0000"}]', "售后"]
    )
    sheet.append(["坏行", "", "{not json", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    r = await http.post("/api/v1/kb/import?format=xlsx", content=buffer.getvalue(), headers=admin)
    report = r.json()
    assert (report["created"], report["failed"]) == (1, 1)
    assert report["errors"][0]["row"] == 3
    assert report["errors"][0]["field"] == "answer_json"

    r = await http.get("/api/v1/kb/export?format=xlsx", headers=admin)
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("question", "similar", "answer")
    assert rows[1][0] == "怎么联系客服"
    assert rows[1][2] == "拨打 400-000-0000"
    r = await http.get("/api/v1/kb/export?format=csv", headers=admin)
    text = r.content.decode("utf-8-sig")
    assert "怎么联系客服" in text
    assert r.headers["content-type"].startswith("text/csv")


async def test_unreadable_files_get_a_clear_error(http: httpx.AsyncClient, world: World) -> None:
    admin = bearer(world.admin.token)
    for content, fmt, word in [
        (b"", "csv", "body"),
        (b"foo,bar\n1,2\n", "csv", "question"),
        (b"question,answer,colour\n", "csv", "colour"),
        (b"\xff\xfe\x00garbage", "xlsx", "XLSX"),
    ]:
        r = await http.post(f"/api/v1/kb/import?format={fmt}", content=content, headers=admin)
        assert r.status_code == 422, r.text
        assert word in r.json()["detail"]


async def test_vocabulary_changes_matching(http: httpx.AsyncClient, world: World) -> None:
    admin = bearer(world.admin.token)
    ids = await fill_kb(http, world)
    r = await http.put(
        "/api/v1/kb/vocabulary",
        json={"synonyms": [["发票", "fp", "票据"]], "stop_words": ["亲"]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    r = await http.post("/api/v1/kb/match", json={"text": "亲 能开fp吗"}, headers=admin)
    assert r.json()["candidates"][0]["entry_id"] == ids["怎么开发票"]
    r = await http.get("/api/v1/kb/vocabulary", headers=admin)
    assert r.json()["synonyms"] == [["发票", "fp", "票据"]]


async def test_another_merchant_sees_none_of_it(
    http: httpx.AsyncClient, world: World, other_world: World
) -> None:
    ids = await fill_kb(http, world)
    entry_id = ids["怎么开发票"]
    other = bearer(other_world.admin.token)
    assert (await http.get(f"/api/v1/kb/entries/{entry_id}", headers=other)).status_code == 404
    r = await http.patch(f"/api/v1/kb/entries/{entry_id}", json={"enabled": False}, headers=other)
    assert r.status_code == 404
    assert (await http.delete(f"/api/v1/kb/entries/{entry_id}", headers=other)).status_code == 404
    assert (await http.get("/api/v1/kb/entries", headers=other)).json()["total"] == 0
    r = await http.post("/api/v1/kb/match", json={"text": "怎么开发票"}, headers=other)
    assert r.json()["candidates"] == []
    r = await http.get("/api/v1/kb/export", headers=other)
    assert "怎么开发票" not in r.content.decode("utf-8-sig")
