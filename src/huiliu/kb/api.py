"""The knowledge base over REST: entries, categories, vocabulary, import and export,
matching (what the bot would answer), and the learning loop's unanswered questions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from huiliu.auth.deps import AgentDep, KbDep, RuntimeDep
from huiliu.bot.matcher import Thresholds
from huiliu.bot.settings import BotSettings
from huiliu.bot.text import Analyzer, normalize
from huiliu.errors import InvalidInput, TooLarge
from huiliu.kb import service, transfer
from huiliu.kb.schemas import (
    CategoryIn,
    CategoryOut,
    EntryIn,
    EntryOut,
    EntryPage,
    EntryPatch,
    ImportReport,
    MatchCandidate,
    MatchIn,
    MatchOut,
    ResolveUnansweredIn,
    UnansweredGroup,
    UnansweredOut,
    VocabularyIn,
    VocabularyOut,
)
from huiliu.tenants import service as tenants_service

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])
MAX_IMPORT_BYTES = 20 * 1024 * 1024


@router.get("/entries")
async def list_entries(
    principal: AgentDep,
    runtime: RuntimeDep,
    search: Annotated[str | None, Query(max_length=200)] = None,
    category_id: int | None = None,
    enabled: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EntryPage:
    async with runtime.db.read() as session:
        rows, total = await service.list_entries(
            session,
            tenant_id=principal.tenant_id,
            search=search,
            category_id=category_id,
            enabled=enabled,
            limit=limit,
            offset=offset,
        )
    return EntryPage(entries=[EntryOut.model_validate(r) for r in rows], total=total)


@router.post("/entries", status_code=201)
async def create_entry(body: EntryIn, principal: KbDep, runtime: RuntimeDep) -> EntryOut:
    async with runtime.db.write() as session:
        row = await service.create(session, tenant_id=principal.tenant_id, data=body)
        return EntryOut.model_validate(row)


@router.get("/entries/{entry_id}")
async def get_entry(entry_id: int, principal: AgentDep, runtime: RuntimeDep) -> EntryOut:
    async with runtime.db.read() as session:
        row = await service.get(session, tenant_id=principal.tenant_id, entry_id=entry_id)
        return EntryOut.model_validate(row)


@router.patch("/entries/{entry_id}")
async def update_entry(
    entry_id: int, body: EntryPatch, principal: KbDep, runtime: RuntimeDep
) -> EntryOut:
    async with runtime.db.write() as session:
        row = await service.update_entry(
            session, tenant_id=principal.tenant_id, entry_id=entry_id, patch=body
        )
        return EntryOut.model_validate(row)


@router.delete("/entries/{entry_id}", status_code=204)
async def delete_entry(entry_id: int, principal: KbDep, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as session:
        await service.delete(session, tenant_id=principal.tenant_id, entry_id=entry_id)
    return Response(status_code=204)


@router.get("/categories")
async def list_categories(principal: AgentDep, runtime: RuntimeDep) -> list[CategoryOut]:
    async with runtime.db.read() as session:
        rows = await service.list_categories(session, tenant_id=principal.tenant_id)
    return [CategoryOut(id=c.id, name=c.name, entries=n) for c, n in rows]


@router.post("/categories", status_code=201)
async def create_category(body: CategoryIn, principal: KbDep, runtime: RuntimeDep) -> CategoryOut:
    async with runtime.db.write() as session:
        row = await service.create_category(session, tenant_id=principal.tenant_id, name=body.name)
        return CategoryOut(id=row.id, name=row.name)


@router.patch("/categories/{category_id}")
async def rename_category(
    category_id: int, body: CategoryIn, principal: KbDep, runtime: RuntimeDep
) -> CategoryOut:
    async with runtime.db.write() as session:
        row = await service.rename_category(
            session, tenant_id=principal.tenant_id, category_id=category_id, name=body.name
        )
        return CategoryOut(id=row.id, name=row.name)


@router.delete("/categories/{category_id}", status_code=204)
async def delete_category(category_id: int, principal: KbDep, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as session:
        await service.delete_category(
            session, tenant_id=principal.tenant_id, category_id=category_id
        )
    return Response(status_code=204)


@router.get("/vocabulary")
async def get_vocabulary(principal: KbDep, runtime: RuntimeDep) -> VocabularyOut:
    async with runtime.db.read() as session:
        revision, synonyms, stop_words = await service.read_vocabulary(
            session, tenant_id=principal.tenant_id
        )
    return VocabularyOut(synonyms=synonyms, stop_words=stop_words, revision=revision)


@router.put("/vocabulary")
async def set_vocabulary(
    body: VocabularyIn, principal: KbDep, runtime: RuntimeDep
) -> VocabularyOut:
    """The tenant's synonyms and stop words; the bot uses them from its next question."""
    async with runtime.db.write() as session:
        row = await service.set_vocabulary(
            session,
            tenant_id=principal.tenant_id,
            synonyms=[list(group) for group in body.synonyms],
            stop_words=list(body.stop_words),
        )
        return VocabularyOut(
            synonyms=row.synonyms, stop_words=row.stop_words, revision=row.revision
        )


@router.post("/import")
async def import_entries(
    request: Request,
    principal: KbDep,
    runtime: RuntimeDep,
    format: Literal["csv", "xlsx"] = "csv",
) -> ImportReport:
    """The file itself is the request body (``text/csv`` or the XLSX bytes). Entries whose
    standard question exists are updated; each bad row is reported and skipped."""
    data = await request.body()
    if not data:
        raise InvalidInput("send the file as the request body", field="file")
    if len(data) > MAX_IMPORT_BYTES:
        raise TooLarge(f"the file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB", field="file")
    rows = transfer.read_rows(data, format)
    return await transfer.import_entries(runtime.db, tenant_id=principal.tenant_id, rows=rows)


@router.get("/export")
async def export_entries(
    principal: KbDep,
    runtime: RuntimeDep,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    rows = await transfer.export_rows(runtime.db, tenant_id=principal.tenant_id)
    if format == "xlsx":
        body = transfer.to_xlsx(rows)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = transfer.to_csv(rows)
        media = "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="knowledge-base.{format}"'},
    )


@router.post("/match")
async def match(body: MatchIn, principal: AgentDep, runtime: RuntimeDep) -> MatchOut:
    """What the bot would make of a question: the candidates and the band."""
    async with runtime.db.read() as session:
        tenant = await tenants_service.get(session, tenant_id=principal.tenant_id)
    settings = BotSettings.model_validate(tenant.bot or {})
    hits = await runtime.bot.knowledge.match(principal.tenant_id, body.text, k=body.k)
    thresholds = Thresholds(settings.answer_threshold, settings.suggest_threshold)
    band = thresholds.band(hits[0].candidate.confidence).value if hits else "unknown"
    return MatchOut(
        band=band,
        candidates=[
            MatchCandidate(
                entry_id=h.entry.id,
                question=h.entry.question,
                matched=h.candidate.question,
                score=h.candidate.score,
                confidence=h.candidate.confidence,
            )
            for h in hits
        ],
    )


@router.get("/unanswered")
async def unanswered(principal: KbDep, runtime: RuntimeDep) -> list[UnansweredGroup]:
    """Questions the bot could not answer (or whose answer was voted unhelpful), grouped by
    similarity, largest group first."""
    async with runtime.db.read() as session:
        rows = await service.list_unanswered(session, tenant_id=principal.tenant_id)
    analyzer = Analyzer()
    # Single link: a question joins the first group with a member whose character n-grams
    # it shares enough of (Jaccard ≥ 0.45).
    groups: list[tuple[list[set[str]], list[UnansweredOut]]] = []
    for row in rows:
        grams = set(analyzer.char_grams(normalize(row.text)))
        for members, items in groups:
            if any(len(grams & m) / max(len(grams | m), 1) >= 0.45 for m in members):
                members.append(grams)
                items.append(UnansweredOut.model_validate(row))
                break
        else:
            groups.append(([grams], [UnansweredOut.model_validate(row)]))
    groups.sort(key=lambda g: -len(g[1]))
    out = []
    for _, items in groups[:200]:
        hits = await runtime.bot.knowledge.match(principal.tenant_id, items[0].text, k=1)
        nearest = hits[0].entry.id if hits and hits[0].candidate.confidence >= 0.1 else None
        out.append(UnansweredGroup(items=items, count=len(items), nearest_entry_id=nearest))
    return out


@router.post("/unanswered/resolve")
async def resolve_unanswered(
    body: ResolveUnansweredIn, principal: KbDep, runtime: RuntimeDep
) -> EntryOut | None:
    """In one action: a new entry (``entry``), or the questions added as similar questions
    of an entry (``entry_id``), or dismissed; either way they leave the list."""
    tenant_id = principal.tenant_id
    async with runtime.db.write() as session:
        rows = await service.resolve_unanswered(session, tenant_id=tenant_id, ids=body.ids)
        if body.entry is not None:
            return EntryOut.model_validate(
                await service.create(session, tenant_id=tenant_id, data=body.entry)
            )
        if body.entry_id is not None:
            entry = await service.get(session, tenant_id=tenant_id, entry_id=body.entry_id)
            similar = list(
                dict.fromkeys([*entry.similar, *(" ".join(r.text.split()) for r in rows)])
            )
            patch = EntryPatch(similar=[s[:500] for s in similar if s and s != entry.question])
            return EntryOut.model_validate(
                await service.update_entry(
                    session, tenant_id=tenant_id, entry_id=entry.id, patch=patch
                )
            )
    return None
