"""The public rating page an e-mail survey links to (``/rate/{token}``): server-rendered,
Chinese, made for a phone's mail app. No script: the scale is a row of radio buttons drawn
as buttons, and each score's follow-up tags show (pure CSS) once that score is chosen.
Every text from the tenant or the customer is escaped."""

from __future__ import annotations

import html
import math
from collections.abc import Collection
from datetime import datetime
from typing import Any

from huiliu.satisfaction.schemas import MAX_COMMENT

# The page reads nothing from elsewhere, runs no script and posts only to itself; the link's
# token never leaves in a Referer.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = """
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1f2937;font:16px/1.6 -apple-system,BlinkMacSystemFont,
"PingFang SC","Hiragino Sans GB","Microsoft YaHei",sans-serif}
main{max-width:480px;margin:0 auto;padding:24px 16px}
.card{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px rgb(0 0 0/8%)}
h1{font-size:18px;margin:0 0 8px}
.prompt{margin:0 0 16px}
.muted{color:#6b7280;font-size:13px}
.pick{position:absolute;opacity:0;width:1px;height:1px;overflow:hidden}
.scale{display:flex;gap:6px;margin-bottom:12px}
.scale label{flex:1 1 0;min-width:0;min-height:56px;display:flex;align-items:center;
justify-content:center;text-align:center;padding:8px 2px;border:1px solid #d1d5db;
border-radius:8px;cursor:pointer;font-size:12px;line-height:1.3;background:#fff}
.scale label b{display:block;font-size:18px;color:#2563eb}
.tags{display:none;flex-wrap:wrap;gap:8px;margin:4px 0 12px}
.tags .hint{width:100%;font-size:13px;color:#6b7280}
.tags label{padding:6px 12px;border:1px solid #d1d5db;border-radius:16px;font-size:14px;
cursor:pointer}
.tags input:checked+label{border-color:#2563eb;background:#eff6ff;color:#1d4ed8}
.tags input:focus-visible+label{outline:2px solid #2563eb}
textarea{width:100%;min-height:88px;padding:10px;border:1px solid #d1d5db;border-radius:8px;
font:inherit;resize:vertical}
button{width:100%;margin-top:16px;padding:12px;border:0;border-radius:8px;background:#2563eb;
color:#fff;font-size:16px;cursor:pointer}
.error{margin:12px 0 0;padding:10px 12px;border-radius:8px;background:#fef2f2;color:#b91c1c}
.done{text-align:center;padding:12px 0}
.done .mark{font-size:40px}
"""


def _page(title: str, body: str, extra_style: str = "") -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}{extra_style}</style></head>"
        f'<body><main><div class="card">{body}</div></main></body></html>'
    )


def message_page(shop: str, title: str, text: str, *, mark: str = "") -> str:
    """A page that only says something: thanks, already rated, expired, unknown link."""
    body = (
        '<div class="done" data-test="rate-message">'
        + (f'<div class="mark">{mark}</div>' if mark else "")
        + f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        + (f'<p class="muted">{html.escape(shop)}</p>' if shop else "")
        + "</div>"
    )
    return _page(f"{title} · {shop}" if shop else title, body)


def form_page(
    *,
    shop: str,
    survey: Any,
    action: str,
    now: datetime,
    score: int | None = None,
    tags: Collection[str] = (),
    comment: str = "",
    error: str | None = None,
) -> str:
    """The survey as a form: the scale, each score's tags, the comment box when it takes
    one; with what was chosen and the reason, when a post was refused."""
    offer = survey.offer or {}
    options: list[dict[str, Any]] = list(offer.get("options", []))
    radios = "".join(
        f'<input class="pick" type="radio" name="score" id="s{o["score"]}" value="{o["score"]}"'
        + (" checked" if o["score"] == score else "")
        + ' required data-test="rate-score">'
        for o in options
    )
    labels = "".join(
        f'<label for="s{o["score"]}" data-score="{o["score"]}">'
        f"<span><b>{o['score']}</b>{html.escape(str(o['label']))}</span></label>"
        for o in options
    )
    groups = []
    for o in options:
        if not o.get("tags"):
            continue
        chips = "".join(
            f'<input class="pick" type="checkbox" id="t{o["score"]}-{i}" '
            f'name="tags_{o["score"]}" value="{html.escape(str(t))}"'
            + (" checked" if o["score"] == score and t in tags else "")
            + f'><label for="t{o["score"]}-{i}">{html.escape(str(t))}</label>'
            for i, t in enumerate(o["tags"])
        )
        groups.append(
            f'<div class="tags tags-{o["score"]}" data-test="rate-tags-{o["score"]}">'
            f'<span class="hint">可选择原因（可多选）</span>{chips}</div>'
        )
    picked_style = "".join(
        f"#s{o['score']}:checked~.scale label[for=s{o['score']}]"
        "{border-color:#2563eb;background:#2563eb;color:#fff}"
        f"#s{o['score']}:checked~.scale label[for=s{o['score']}] b{{color:#fff}}"
        f"#s{o['score']}:focus-visible~.scale label[for=s{o['score']}]"
        "{outline:2px solid #1d4ed8;outline-offset:2px}"
        f"#s{o['score']}:checked~.tags-{o['score']}{{display:flex}}"
        for o in options
    )
    comment_box = (
        f'<textarea name="comment" maxlength="{MAX_COMMENT}" data-test="rate-comment" '
        f'placeholder="还有什么想告诉我们的吗？（选填，最多 {MAX_COMMENT} 字）">'
        f"{html.escape(comment)}</textarea>"
        if offer.get("comment")
        else ""
    )
    left_h = max(1, math.ceil((survey.expires_at - now).total_seconds() / 3600))
    body = (
        f"<h1>{html.escape(shop or '服务评价')}</h1>"
        f'<p class="prompt">{html.escape(str(offer.get("prompt", "")))}</p>'
        f'<form method="post" action="{html.escape(action)}" data-test="rate-form">'
        f'{radios}<div class="scale">{labels}</div>{"".join(groups)}{comment_box}'
        + (
            f'<p class="error" role="alert" data-test="rate-error">{html.escape(error)}</p>'
            if error
            else ""
        )
        + '<button type="submit" data-test="rate-submit">提交评价</button></form>'
        f'<p class="muted">本评价链接在 {left_h} 小时内有效。</p>'
    )
    return _page(f"服务评价 · {shop}" if shop else "服务评价", body, picked_style)
