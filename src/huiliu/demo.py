"""``huiliu demo``: a demo merchant with an admin, a supervisor and three agents, a skill
group they serve, a bot answering from the demo shop's FAQ (164 entries, Chinese), and the
agents' quick replies.

Idempotent: running it again finds what exists and prints the same credentials.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from importlib import resources
from typing import Any

from huiliu.accounts import service as accounts_service
from huiliu.accounts.models import Role
from huiliu.bot.settings import BotSettings, MenuNode
from huiliu.db import Database
from huiliu.integrations.merchant_api import MerchantApi
from huiliu.kb import service as kb_service
from huiliu.kb import transfer
from huiliu.replies import service as replies_service
from huiliu.replies.schemas import QuickReplyIn
from huiliu.routing import service as routing_service
from huiliu.routing.schemas import GroupIn
from huiliu.tenants import service as tenants_service

DEMO_SLUG = "demo"
DEMO_PEOPLE = [
    ("admin@demo.huiliu.local", "Demo Admin 管理员", Role.admin, "demo-admin-1"),
    ("supervisor@demo.huiliu.local", "Demo Supervisor 主管", Role.supervisor, "demo-super-1"),
    ("agent1@demo.huiliu.local", "小汇 Agent 1", Role.agent, "demo-agent-1"),
    ("agent2@demo.huiliu.local", "小流 Agent 2", Role.agent, "demo-agent-2"),
    ("agent3@demo.huiliu.local", "小慧 Agent 3", Role.agent, "demo-agent-3"),
]


@dataclass
class DemoTenant:
    tenant_id: int
    widget_key: str
    identity_secret: str
    people: list[tuple[str, str, Role, str]]

    def as_json(self) -> dict[str, Any]:
        def cred(email: str, password: str) -> dict[str, str]:
            return {"email": email, "password": password}

        by_role: dict[Role, list[dict[str, str]]] = {}
        for email, _name, role, password in self.people:
            by_role.setdefault(role, []).append(cred(email, password))
        return {
            "tenant_id": self.tenant_id,
            "widget_key": self.widget_key,
            "identity_secret": self.identity_secret,
            "admin": by_role[Role.admin][0],
            "supervisor": by_role[Role.supervisor][0],
            "agents": by_role[Role.agent],
        }


async def ensure_demo(
    db: Database, *, base_url: str = "http://127.0.0.1:8000", people_only: bool = False
) -> DemoTenant:
    """The demo merchant; with ``people_only`` just its people (no group, FAQ or bot: the
    benchmarks of the bare pipeline claim conversations by hand)."""
    async with db.write() as session:
        tenant = await tenants_service.get_by_slug(session, slug=DEMO_SLUG)
        if tenant is None:
            tenant = await tenants_service.create(
                session, name="汇流演示商城 Demo Shop", slug=DEMO_SLUG
            )
        for email, name, role, password in DEMO_PEOPLE:
            if await accounts_service.get_by_email(session, email=email) is None:
                await accounts_service.create(
                    session,
                    tenant_id=tenant.id,
                    email=email,
                    name=name,
                    role=role,
                    password=password,
                )
        tenant_id = tenant.id
        if not people_only and not await routing_service.list_groups(session, tenant_id=tenant_id):
            agents = [
                (await accounts_service.get_by_email(session, email=email))
                for email, _n, role, _p in DEMO_PEOPLE
                if role is Role.agent
            ]
            await routing_service.create(
                session,
                tenant_id=tenant_id,
                data=GroupIn(
                    name="售前售后",
                    is_default=True,
                    member_ids=[a.id for a in agents if a is not None],
                ),
            )
        result = DemoTenant(
            tenant_id=tenant.id,
            widget_key=tenant.widget_key,
            identity_secret=tenant.identity_secret,
            people=DEMO_PEOPLE,
        )
    if not people_only:
        await ensure_demo_bot(db, tenant_id, base_url=base_url)
        await ensure_demo_replies(db, tenant_id)
    return result


# (shortcut, title, category, text): what the demo shop's agents type most.
DEMO_REPLIES = [
    (
        "hi",
        "问候",
        "常用",
        "您好，欢迎光临汇流演示商城，很高兴为您服务。请问有什么可以帮您？",
    ),
    ("wait", "请稍等", "常用", "好的，请您稍等，我马上为您查询。"),
    ("thanks", "感谢", "常用", "感谢您的耐心等待和理解，祝您购物愉快！"),
    (
        "refund",
        "退款流程",
        "售后",
        "退款流程：在“我的订单”中找到该订单，点击“申请退款”，选择原因并提交。"
        "审核通过后，款项将在 1–3 个工作日内原路退回（信用卡可能需要 3–7 个工作日）。",
    ),
    (
        "shipping",
        "发货时间",
        "物流",
        "现货商品在付款后 48 小时内发货，预售商品以商品页标注的时间为准。"
        "发货后您可以在“我的订单”中查看物流信息。",
    ),
    (
        "invoice",
        "开具发票",
        "发票",
        "订单完成后，在订单详情页点击“申请发票”，填写抬头和税号即可。"
        "电子发票会在 1–2 个工作日内发送到您的邮箱。",
    ),
    ("sorry", "致歉", "常用", "非常抱歉给您带来不便，我们会尽快为您处理，请您谅解。"),
    ("bye", "结束语", "常用", "请问还有其他可以帮您的吗？如果没有，感谢您的咨询，再见！"),
]


async def ensure_demo_replies(db: Database, tenant_id: int) -> None:
    """The demo's quick replies; ones already there (or edited since) are left alone."""
    async with db.write() as session:
        for shortcut, title, category, text in DEMO_REPLIES:
            if (
                await replies_service.get_by_shortcut(
                    session, tenant_id=tenant_id, shortcut=shortcut
                )
                is None
            ):
                await replies_service.create(
                    session,
                    tenant_id=tenant_id,
                    data=QuickReplyIn(shortcut=shortcut, title=title, text=text, category=category),
                )


def faq_rows() -> list[tuple[int, dict[str, str]]]:
    """The demo shop's FAQ as import rows (question, similar, answer, category)."""
    data = resources.files("huiliu") / "demo_data"
    questions: dict[str, list[str]] = {}
    text = (data / "faq_zh_questions.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text, newline="")):
        questions.setdefault(row["intent"], []).append(row["question"])
    rows = []
    text = (data / "faq_zh_answers.csv").read_text(encoding="utf-8")
    for number, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2):
        asked = questions[row["intent"]]
        record = {
            "question": asked[0],
            "similar": "\n".join(asked[1:]),
            "answer": row["answer"],
            "category": row["category"],
        }
        rows.append((number, record))
    return rows


# The navigation menu: by category, a few of the most asked questions each.
DEMO_MENU = {
    "订单问题": ["怎么取消订单？", "下单后怎么修改订单？", "怎么查看订单状态？"],
    "物流配送": ["付款后多久发货？", "怎么查询物流信息？", "下单后怎么修改收货地址？"],
    "退换货": ["退货流程是怎样的？", "退款多久能到账？", "支持七天无理由退货吗？"],
    "发票": ["怎么开发票？"],
}


async def ensure_demo_bot(db: Database, tenant_id: int, *, base_url: str) -> None:
    """The FAQ, the menu, and the demo shop's API (served by this Huiliu at ``base_url``)
    behind the three task flows: order status, logistics tracking, change of address."""
    async with db.read() as session:
        _, total = await kb_service.list_entries(session, tenant_id=tenant_id, limit=1)
    if total == 0:
        await transfer.import_entries(db, tenant_id=tenant_id, rows=faq_rows())
    async with db.write() as session:
        tenant = await tenants_service.get(session, tenant_id=tenant_id)
        api = MerchantApi(
            base_url=f"{base_url.rstrip('/')}/demo-shop/{DEMO_SLUG}/api",
            secret=(tenant.bot or {}).get("merchant_api", {}).get("secret")
            or secrets.token_urlsafe(32),
        )
        if (tenant.bot or {}).get("enabled"):
            tenant.bot = {**tenant.bot, "merchant_api": api.model_dump(mode="json")}
            return
        entries = {
            e.question: e.id for e in await kb_service.all_entries(session, tenant_id=tenant_id)
        }
        menu = []
        for n, (label, asked) in enumerate(DEMO_MENU.items()):
            children = [
                MenuNode(id=f"q{n}-{i}", label=q[:40], action="answer", entry_id=entries[q])
                for i, q in enumerate(asked)
                if q in entries
            ]
            if children:
                menu.append(MenuNode(id=f"c{n}", label=label, action="submenu", children=children))
        menu.append(
            MenuNode(
                id="self",
                label="自助服务",
                action="submenu",
                children=[
                    MenuNode(
                        id="f-status", label="查询订单状态", action="flow", flow="order_status"
                    ),
                    MenuNode(id="f-track", label="物流跟踪", action="flow", flow="track_shipment"),
                    MenuNode(
                        id="f-address", label="修改收货地址", action="flow", flow="change_address"
                    ),
                ],
            )
        )
        menu.append(MenuNode(id="human", label="人工客服", action="handoff"))
        tenant.bot = BotSettings(enabled=True, menu=menu, merchant_api=api).model_dump(mode="json")
