from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from huiliu.conversations.content import AnswerPart


def _clean(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ValueError("must not be empty")
    return cleaned


Question = Annotated[str, AfterValidator(_clean), Field(min_length=1, max_length=500)]
Keyword = Annotated[str, AfterValidator(_clean), Field(min_length=1, max_length=50)]
Word = Annotated[str, AfterValidator(_clean), Field(min_length=1, max_length=30)]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


class _Validity(BaseModel):
    @model_validator(mode="after")
    def _period(self) -> Any:
        start, end = getattr(self, "valid_from", None), getattr(self, "valid_until", None)
        if start is not None and end is not None and end <= start:
            raise ValueError("valid_until must be after valid_from")
        return self


class EntryIn(_Validity):
    model_config = ConfigDict(extra="forbid")

    question: Question
    similar: Annotated[list[Question], AfterValidator(_unique)] = Field(
        default_factory=list, max_length=300
    )
    answer: list[AnswerPart] = Field(min_length=1, max_length=5)
    category_id: int | None = None
    keywords: Annotated[list[Keyword], AfterValidator(_unique)] = Field(
        default_factory=list, max_length=20
    )
    enabled: bool = True
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class EntryPatch(_Validity):
    model_config = ConfigDict(extra="forbid")

    question: Question | None = None
    similar: Annotated[list[Question], AfterValidator(_unique)] | None = Field(
        default=None, max_length=300
    )
    answer: list[AnswerPart] | None = Field(default=None, min_length=1, max_length=5)
    category_id: int | None = None
    keywords: Annotated[list[Keyword], AfterValidator(_unique)] | None = Field(
        default=None, max_length=20
    )
    enabled: bool | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    question: str
    similar: list[str]
    answer: list[dict[str, Any]]
    category_id: int | None
    keywords: list[str]
    enabled: bool
    valid_from: datetime | None
    valid_until: datetime | None
    hit_count: int
    helpful_count: int
    unhelpful_count: int
    created_at: datetime
    updated_at: datetime


class EntryPage(BaseModel):
    entries: list[EntryOut]
    total: int


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, AfterValidator(_clean), Field(min_length=1, max_length=100)]


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    entries: int = 0


class VocabularyIn(BaseModel):
    """Synonym groups (each word maps to the group's first) and extra stop words."""

    model_config = ConfigDict(extra="forbid")

    synonyms: list[Annotated[list[Word], Field(min_length=2, max_length=30)]] = Field(
        default_factory=list, max_length=2000
    )
    stop_words: list[Word] = Field(default_factory=list, max_length=2000)


class VocabularyOut(VocabularyIn):
    revision: int


class RowError(BaseModel):
    row: int = Field(description="the row number in the file (the header is row 1)")
    field: str
    reason: str


class ImportReport(BaseModel):
    created: int
    updated: int
    failed: int
    errors: list[RowError]


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=1000)
    k: int = Field(default=3, ge=1, le=10)


class MatchCandidate(BaseModel):
    entry_id: int
    question: str = Field(description="the entry's standard question")
    matched: str = Field(description="the entry's question closest to the text")
    score: float
    confidence: float


class MatchOut(BaseModel):
    band: str
    candidates: list[MatchCandidate]


class UnansweredOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    reason: str
    entry_id: int | None
    conversation_id: int | None
    created_at: datetime


class UnansweredGroup(BaseModel):
    """Unanswered questions that mean the same thing, to be turned into one entry."""

    items: list[UnansweredOut]
    count: int
    nearest_entry_id: int | None = Field(
        description="the existing entry they come closest to (add them as its similar "
        "questions), if any"
    )


class ResolveUnansweredIn(BaseModel):
    """Turn unanswered questions into a new entry, or into similar questions of one."""

    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(min_length=1, max_length=500)
    entry_id: int | None = Field(default=None, description="add to this entry's similar")
    entry: EntryIn | None = Field(default=None, description="or create this entry")
    dismiss: bool = Field(default=False, description="or just mark them handled")

    @model_validator(mode="after")
    def _one_action(self) -> ResolveUnansweredIn:
        if sum((self.entry_id is not None, self.entry is not None, self.dismiss)) != 1:
            raise ValueError("give exactly one of entry_id, entry or dismiss")
        return self
