"""The demo shop's web pages at ``/demo``: a product list, product pages and an account page,
each embedding the web widget with the demo merchant's key — what a merchant's own site looks
like with Huiliu's one line in it (docs/widget.md).

Signing in is the part a merchant's server does: ``POST /demo/api/sign-in`` returns a demo
customer's identity signed with the demo merchant's identity secret (and no other tenant's),
which the page hands to ``Huiliu.identify``. The secret never leaves the server.
"""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from huiliu.auth.deps import RuntimeDep
from huiliu.demo import DEMO_SLUG
from huiliu.errors import NotFound
from huiliu.tenants import service as tenants_service

router = APIRouter(prefix="/demo", tags=["demo shop"], include_in_schema=False)

# (id, name, price, colour, emoji, description)
PRODUCTS = [
    ("tshirt", "汇流优选 纯棉T恤", "¥89.00", "#dbeafe", "👕", "新疆长绒棉，亲肤透气，S–XXL。"),
    ("earbuds", "汇流优选 无线蓝牙耳机", "¥299.00", "#fde68a", "🎧", "主动降噪，续航 8 小时。"),
    ("cup", "汇流优选 保温杯 500ml", "¥59.00", "#dcfce7", "🥤", "316 不锈钢内胆，12 小时保温。"),
    ("backpack", "汇流优选 通勤双肩包", "¥199.00", "#fce7f3", "🎒", "15.6 英寸电脑仓，防泼水。"),
    ("lamp", "汇流优选 护眼台灯", "¥159.00", "#ede9fe", "💡", "无频闪 LED，三档色温。"),
    ("tea", "汇流优选 龙井茶礼盒", "¥128.00", "#fef3c7", "🍵", "明前西湖龙井，250g 礼盒装。"),
]
# The demo's signed-in customers: the merchant's own user ids.
CUSTOMERS = {
    "u1001": {"name": "王小明", "email": "xiaoming@example.com", "phone": "13800138000"},
    "u1002": {"name": "李小红", "email": "xiaohong@example.com", "phone": "13900139000"},
}

_STYLE = """
body { margin: 0; font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei",
  sans-serif; color: #1f2937; background: #f8fafc; }
header { background: #fff; border-bottom: 1px solid #e5e7eb; }
.bar { max-width: 1000px; margin: 0 auto; padding: 14px 20px; display: flex; gap: 20px;
  align-items: center; }
.bar .brand { font-weight: 700; font-size: 18px; color: #2563eb; text-decoration: none; }
.bar nav { display: flex; gap: 16px; flex: 1; }
.bar a { color: #374151; text-decoration: none; }
.who { font-size: 13px; color: #6b7280; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 120px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; overflow: hidden;
  text-decoration: none; color: inherit; display: block; }
.pic { height: 140px; display: flex; align-items: center; justify-content: center;
  font-size: 56px; }
.card .body { padding: 12px; }
.price { color: #dc2626; font-weight: 600; }
.product { display: flex; gap: 24px; flex-wrap: wrap; background: #fff; padding: 20px;
  border-radius: 10px; border: 1px solid #e5e7eb; }
.product .pic { width: 280px; height: 240px; border-radius: 8px; font-size: 96px; }
button { font: inherit; padding: 9px 16px; border-radius: 8px; border: 1px solid #2563eb;
  background: #2563eb; color: #fff; cursor: pointer; }
button.plain { background: #fff; color: #2563eb; }
.panel { background: #fff; padding: 20px; border-radius: 10px; border: 1px solid #e5e7eb;
  max-width: 520px; }
"""

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · 汇流演示商城</title>
<link rel="icon" href="/favicon.svg">
<style>{style}</style>
<script>
  // Huiliu's snippet (docs/widget.md): calls made before widget.js loads are queued.
  window.Huiliu = window.Huiliu || {{ q: [] }};
  ["identify", "track", "open", "close", "on", "reset"].forEach(function (m) {{
    Huiliu[m] = Huiliu[m] || function () {{ Huiliu.q.push([m, [].slice.call(arguments)]); }};
  }});
  // The shop's own sign-in: the identity its server signed (see the account page).
  var demoCustomer = JSON.parse(localStorage.getItem("huiliu-demo.customer") || "null");
  if (demoCustomer) Huiliu.identify(demoCustomer);
</script>
<script src="/widget.js" data-key="{widget_key}" async></script>
</head>
<body>
<header><div class="bar">
  <a class="brand" href="/demo">汇流演示商城</a>
  <nav><a href="/demo">全部商品</a>
    <a href="/demo/account" data-test="nav-account">我的账户</a></nav>
  <span class="who" id="who" data-test="who"></span>
</div></header>
<main>{body}</main>
<script>
  document.getElementById("who").textContent = demoCustomer
    ? "已登录：" + demoCustomer.name : "未登录";
</script>
</body>
</html>
"""

_ACCOUNT = """
<div class="panel">
  <h2>我的账户</h2>
  <p id="state" data-test="account-state"></p>
  <p>
    <button data-test="sign-in" onclick="signIn('u1001')">以演示顾客 王小明 登录</button>
    <button class="plain" data-test="sign-in-2" onclick="signIn('u1002')">以 李小红 登录</button>
  </p>
  <p><button class="plain" data-test="sign-out" onclick="signOut()">退出登录</button></p>
  <p style="font-size:13px;color:#6b7280">登录由商城自己的服务器完成：它用商户的身份密钥为用户
    id 计算签名（HMAC-SHA256），页面把签好的身份交给 <code>Huiliu.identify()</code>，
    客服就能看到这位会员的全部历史。</p>
</div>
<script>
  function show() {
    document.getElementById("state").textContent = demoCustomer
      ? "已登录：" + demoCustomer.name + "（" + demoCustomer.userId + "）" : "未登录";
  }
  async function signIn(userId) {
    const r = await fetch("/demo/api/sign-in", {
      method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({user_id: userId}) });
    demoCustomer = await r.json();
    localStorage.setItem("huiliu-demo.customer", JSON.stringify(demoCustomer));
    Huiliu.identify(demoCustomer);
    show();
    document.getElementById("who").textContent = "已登录：" + demoCustomer.name;
  }
  function signOut() {
    localStorage.removeItem("huiliu-demo.customer");
    demoCustomer = null;
    Huiliu.reset();
    show();
    document.getElementById("who").textContent = "未登录";
  }
  show();
</script>
"""

_NO_DEMO = """<!doctype html><html lang="en"><meta charset="utf-8"><title>No demo shop</title>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The demo merchant does not exist yet</h1>
<p>Create it with <code>huiliu demo</code> (<code>make run</code> does it for you) and reload.</p>
</body></html>"""


class SignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=20)


class DemoIdentity(BaseModel):
    """What ``Huiliu.identify`` takes, signed by the shop's server."""

    userId: str  # the widget's JavaScript API spells it so
    name: str
    email: str
    phone: str
    attributes: dict[str, str]
    signature: str


async def _page(runtime: RuntimeDep, title: str, body: str) -> HTMLResponse:
    async with runtime.db.read() as session:
        tenant = await tenants_service.get_by_slug(session, slug=DEMO_SLUG)
    if tenant is None:
        return HTMLResponse(_NO_DEMO, status_code=503)
    page = _PAGE.format(
        title=html.escape(title),
        style=_STYLE,
        widget_key=html.escape(tenant.widget_key, quote=True),
        body=body,
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


@router.get("")
async def products(runtime: RuntimeDep) -> HTMLResponse:
    cards = "".join(
        f'<a class="card" href="/demo/products/{pid}" data-test="product">'
        f'<div class="pic" style="background:{colour}">{emoji}</div>'
        f'<div class="body"><div>{html.escape(name)}</div>'
        f'<div class="price">{price}</div></div></a>'
        for pid, name, price, colour, emoji, _ in PRODUCTS
    )
    return await _page(runtime, "全部商品", f'<h2>全部商品</h2><div class="grid">{cards}</div>')


@router.get("/products/{product_id}")
async def product(product_id: str, runtime: RuntimeDep) -> HTMLResponse:
    found = next((p for p in PRODUCTS if p[0] == product_id), None)
    if found is None:
        raise NotFound("no such product")
    _pid, name, price, colour, emoji, description = found
    body = (
        f'<div class="product"><div class="pic" style="background:{colour}">{emoji}</div>'
        f"<div><h2>{html.escape(name)}</h2>"
        f'<p class="price" style="font-size:22px">{price}</p>'
        f"<p>{html.escape(description)}</p>"
        '<p><button data-test="ask" onclick="Huiliu.open()">咨询客服</button></p>'
        "</div></div>"
    )
    return await _page(runtime, name, body)


@router.get("/account")
async def account(runtime: RuntimeDep) -> HTMLResponse:
    return await _page(runtime, "我的账户", _ACCOUNT)


@router.post("/api/sign-in")
async def sign_in(body: SignInIn, runtime: RuntimeDep) -> DemoIdentity:
    """The demo shop's server signs its customer in: the identity for the widget, signed
    with the demo merchant's secret only."""
    customer = CUSTOMERS.get(body.user_id)
    if customer is None:
        raise NotFound(f"no demo customer {body.user_id!r}", field="user_id")
    async with runtime.db.read() as session:
        tenant = await tenants_service.get_by_slug(session, slug=DEMO_SLUG)
    if tenant is None:
        raise NotFound("the demo merchant does not exist: run huiliu demo")
    return DemoIdentity(
        userId=body.user_id,
        attributes={"level": "gold" if body.user_id == "u1001" else "silver"},
        signature=tenants_service.identity_signature(tenant.identity_secret, body.user_id),
        **customer,
    )
