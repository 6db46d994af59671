"""A tenant's bot: greeting, navigation menu, matching bands and handoff rules
(``tenants.bot`` as JSON)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from huiliu.bot.flows import DEFAULT_FLOWS, Flow
from huiliu.integrations.merchant_api import MerchantApi

NodeId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]

DEFAULT_HANDOFF_WORDS = [
    "人工",
    "转人工",
    "人工客服",
    "人工服务",
    "真人",
    "找人工",
    "接人工",
    "客服",
    "human",
    "agent",
    "real person",
    "talk to a human",
    "customer service",
    "operator",
]


class MenuNode(BaseModel):
    """A button of the navigation menu. It answers (a KB entry or a text), opens its
    children as a sub-menu, starts a self-service flow, or hands over to people."""

    model_config = ConfigDict(extra="forbid")

    id: NodeId
    label: str = Field(min_length=1, max_length=40)
    action: Literal["answer", "submenu", "flow", "handoff"]
    entry_id: int | None = Field(default=None, description="answer: the KB entry")
    text: str | None = Field(default=None, max_length=2000, description="answer: a fixed text")
    children: list[MenuNode] = Field(default_factory=list, max_length=12)
    flow: str | None = Field(default=None, max_length=40, description="flow: its key")
    group_id: int | None = Field(default=None, description="handoff: the group (or default)")

    @model_validator(mode="after")
    def _complete(self) -> MenuNode:
        if self.action == "answer" and (self.entry_id is None) == (self.text is None):
            raise ValueError(f"menu node {self.id!r}: an answer needs entry_id or text")
        if self.action == "submenu" and not self.children:
            raise ValueError(f"menu node {self.id!r}: a sub-menu needs children")
        if self.action == "flow" and not self.flow:
            raise ValueError(f"menu node {self.id!r}: a flow node needs its flow")
        return self


class BotSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    name: str = Field(default="小汇", min_length=1, max_length=40)
    greeting: str = Field(
        default="您好，我是智能助手{name}（机器人）。请点击下方按钮，或直接输入您的问题；"
        "需要人工服务请回复“人工”。",
        min_length=1,
        max_length=1000,
        description="{name} is replaced by the bot's name",
    )
    menu_text: str = Field(default="常见问题", max_length=200)
    menu: list[MenuNode] = Field(default_factory=list, max_length=12)
    answer_threshold: float = Field(default=0.6, ge=0, le=1)
    suggest_threshold: float = Field(default=0.25, ge=0, le=1)
    suggest_text: str = Field(default="您是不是想问：", max_length=200)
    unknown_text: str = Field(
        default="抱歉，我没有理解您的问题。您可以换个说法，或回复“人工”联系客服。",
        max_length=1000,
    )
    handoff_words: list[Annotated[str, Field(min_length=1, max_length=30)]] = Field(
        default_factory=lambda: list(DEFAULT_HANDOFF_WORDS), max_length=100
    )
    handoff_after_unknown: int = Field(
        default=2, ge=0, le=20, description="consecutive don't-knows that hand over (0: never)"
    )
    handoff_on_unhelpful: bool = True
    handoff_text: str = Field(default="正在为您转接人工客服，请稍候。", max_length=1000)
    no_agent_text: str = Field(
        default="抱歉，当前没有客服在线。您可以留言，我们会尽快回复您。", max_length=1000
    )
    handoff_group_id: int | None = Field(
        default=None, description="where a handoff waits (None: the conversation's own group)"
    )
    merchant_api: MerchantApi | None = Field(
        default=None, description="the merchant's own API, which the task flows call"
    )
    flows: list[Flow] = Field(
        default_factory=lambda: [f.model_copy(deep=True) for f in DEFAULT_FLOWS], max_length=50
    )

    @model_validator(mode="after")
    def _bands(self) -> BotSettings:
        if self.suggest_threshold > self.answer_threshold:
            raise ValueError("suggest_threshold must not exceed answer_threshold")
        ids: set[str] = set()
        keys = [f.key for f in self.flows]
        if len(set(keys)) != len(keys):
            raise ValueError("a flow key is used twice")
        stack = list(self.menu)
        while stack:
            node = stack.pop()
            if node.id in ids:
                raise ValueError(f"menu node id {node.id!r} is used twice")
            ids.add(node.id)
            if node.action == "flow":
                if node.flow not in keys:
                    raise ValueError(f"menu node {node.id!r}: there is no flow {node.flow!r}")
                if self.merchant_api is None:
                    raise ValueError("flows call the merchant's API: set merchant_api first")
            stack.extend(node.children)
        return self

    def flow(self, key: str) -> Flow | None:
        return next((f for f in self.flows if f.key == key), None)

    def find_node(self, node_id: str) -> MenuNode | None:
        stack = list(self.menu)
        while stack:
            node = stack.pop()
            if node.id == node_id:
                return node
            stack.extend(node.children)
        return None
