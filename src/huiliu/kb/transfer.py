"""Import and export of the knowledge base as CSV or XLSX.

Columns (the header row names them; only ``question`` and ``answer`` or ``answer_json`` are
required, in any order):

| column | meaning |
| --- | --- |
| question | the standard question |
| similar | similar questions, one per line (or separated by ``|``) |
| answer | the answer as plain text |
| answer_json | the answer as a JSON list of contents (rich text, images, cards, menus); |
|  | it wins over ``answer`` |
| category | a category name (created if new) |
| keywords | comma-separated |
| enabled | yes/no, true/false, 1/0 (default yes) |
| valid_from, valid_until | ISO 8601 dates or times (UTC if no zone is given) |

An entry whose standard question exists is updated; a new one is created. Every row is
checked on its own: a bad row is reported (row number, column, reason) and skipped, and
never stops the good ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from huiliu.db import Database
from huiliu.errors import AppError, InvalidInput
from huiliu.kb import service
from huiliu.kb.schemas import EntryIn, EntryPatch, ImportReport, RowError

COLUMNS = (
    "question",
    "similar",
    "answer",
    "answer_json",
    "category",
    "keywords",
    "enabled",
    "valid_from",
    "valid_until",
)
MAX_ROWS = 100_000
BATCH = 200  # rows per transaction
Progress = Callable[[int, int], None]  # (rows done, rows in all)


def read_rows(data: bytes, fmt: str) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) for each non-empty data row."""
    if fmt == "csv":
        rows = _csv_rows(data)
    elif fmt == "xlsx":
        rows = _xlsx_rows(data)
    else:
        raise InvalidInput("format must be csv or xlsx", field="format")
    try:
        header = next(rows)
    except StopIteration:
        raise InvalidInput("the file is empty", field="file") from None
    names = [(h or "").strip().lower() for h in header]
    if "question" not in names or not ({"answer", "answer_json"} & set(names)):
        raise InvalidInput(
            "the header row must name the columns 'question' and 'answer' (or 'answer_json'); "
            f"found: {', '.join(n for n in names if n) or 'nothing'}",
            field="file",
        )
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        raise InvalidInput(
            f"unknown column(s): {', '.join(unknown)}; known: {', '.join(COLUMNS)}", field="file"
        )
    out: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(rows, start=2):
        if len(out) >= MAX_ROWS:
            raise InvalidInput(f"at most {MAX_ROWS} rows in one file", field="file")
        record = {
            name: ("" if value is None else str(value)).strip()
            for name, value in zip(names, values, strict=False)
            if name
        }
        if any(record.values()):
            out.append((number, record))
    return out


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # what Excel in Chinese saves as "CSV"
        except UnicodeDecodeError:
            raise InvalidInput("the CSV is neither UTF-8 nor GB18030 text", field="file") from None
    yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise InvalidInput("the file is not a readable XLSX workbook", field="file") from None
    sheet = book.worksheets[0]
    for values in sheet.iter_rows(values_only=True):
        yield [_cell(v) for v in values]
    book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"", "yes", "y", "true", "1", "是", "启用"}:
        return True
    if value in {"no", "n", "false", "0", "否", "停用"}:
        return False
    raise ValueError(f"{text!r} is not yes/no")


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _split_similar(text: str) -> list[str]:
    parts = text.replace("\r", "\n").replace("|", "\n").split("\n")
    return [p.strip() for p in parts if p.strip()]


def entry_from_row(record: dict[str, str]) -> tuple[EntryIn | None, str | None, list[RowError]]:
    """The entry a row describes and its category name, or the row's errors (row 0; the
    caller numbers them)."""
    errors: list[RowError] = []
    body: dict[str, Any] = {
        "question": record.get("question", ""),
        "similar": _split_similar(record.get("similar", "")),
        "keywords": [k.strip() for k in record.get("keywords", "").replace("，", ",").split(",")],
    }
    body["keywords"] = [k for k in body["keywords"] if k]
    if record.get("answer_json"):
        try:
            body["answer"] = orjson.loads(record["answer_json"])
        except orjson.JSONDecodeError as exc:
            errors.append(RowError(row=0, field="answer_json", reason=f"not JSON: {exc}"))
    elif record.get("answer"):
        body["answer"] = [{"type": "text", "text": record["answer"]}]
    else:
        errors.append(RowError(row=0, field="answer", reason="the answer is empty"))
    for column, parse in (("enabled", _parse_bool), ("valid_from", _parse_time)):
        try:
            body[column] = parse(record.get(column, ""))
        except ValueError as exc:
            errors.append(RowError(row=0, field=column, reason=str(exc)))
    try:
        body["valid_until"] = _parse_time(record.get("valid_until", ""))
    except ValueError as exc:
        errors.append(RowError(row=0, field="valid_until", reason=str(exc)))
    if errors:
        return None, None, errors
    try:
        entry = EntryIn.model_validate(body)
    except ValidationError as exc:
        for err in exc.errors()[:5]:
            loc = [str(p) for p in err["loc"]]
            column = loc[0] if loc else "row"
            if column == "answer" and record.get("answer_json"):
                column = "answer_json"
            detail = ".".join(loc[1:])
            errors.append(
                RowError(
                    row=0,
                    field=column or "row",
                    reason=(f"{detail}: " if detail else "") + err["msg"],
                )
            )
        return None, None, errors
    return entry, record.get("category") or None, []


async def import_entries(
    db: Database,
    *,
    tenant_id: int,
    rows: list[tuple[int, dict[str, str]]],
    progress: Progress | None = None,
) -> ImportReport:
    created = updated = 0
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        async with db.write() as session:
            for number, record in chunk:
                entry, category_name, row_errors = entry_from_row(record)
                if entry is None:
                    errors += [e.model_copy(update={"row": number}) for e in row_errors]
                    continue
                if entry.question in seen:
                    errors.append(
                        RowError(
                            row=number,
                            field="question",
                            reason=f"the same standard question as row {seen[entry.question]}",
                        )
                    )
                    continue
                seen[entry.question] = number
                try:
                    async with session.begin_nested():
                        if category_name:
                            category = await service.get_category_by_name(
                                session, tenant_id=tenant_id, name=category_name[:100]
                            )
                            if category is None:
                                category = await service.create_category(
                                    session, tenant_id=tenant_id, name=category_name[:100]
                                )
                            entry.category_id = category.id
                        existing = await service.get_by_question(
                            session, tenant_id=tenant_id, question=entry.question
                        )
                        if existing is None:
                            await service.create(session, tenant_id=tenant_id, data=entry)
                            created += 1
                        else:
                            patch = EntryPatch.model_validate(
                                entry.model_dump(exclude={"question"})
                            )
                            await service.update_entry(
                                session, tenant_id=tenant_id, entry_id=existing.id, patch=patch
                            )
                            updated += 1
                except AppError as exc:
                    errors.append(
                        RowError(row=number, field=exc.extra.get("field", "row"), reason=exc.detail)
                    )
        if progress is not None:
            progress(min(start + BATCH, len(rows)), len(rows))
    failed = len({e.row for e in errors})
    return ImportReport(created=created, updated=updated, failed=failed, errors=errors)


def _answer_columns(answer: list[dict[str, Any]]) -> tuple[str, str]:
    if len(answer) == 1 and answer[0].get("type") == "text" and set(answer[0]) == {"type", "text"}:
        return answer[0]["text"], ""
    text = "\n".join(p.get("text", "") for p in answer if p.get("type") == "text")
    return text, orjson.dumps(answer).decode()


async def export_rows(db: Database, *, tenant_id: int) -> list[list[str]]:
    async with db.read() as session:
        entries = await service.all_entries(session, tenant_id=tenant_id)
        categories = {
            c.id: c.name for c, _ in await service.list_categories(session, tenant_id=tenant_id)
        }
    out = [list(COLUMNS)]
    for e in entries:
        answer, answer_json = _answer_columns(e.answer)
        out.append(
            [
                e.question,
                "\n".join(e.similar),
                answer,
                answer_json,
                categories.get(e.category_id, "") if e.category_id else "",
                ",".join(e.keywords),
                "yes" if e.enabled else "no",
                e.valid_from.isoformat() if e.valid_from else "",
                e.valid_until.isoformat() if e.valid_until else "",
            ]
        )
    return out


def to_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode()  # the BOM makes Excel read it as UTF-8


def to_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("knowledge base")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
