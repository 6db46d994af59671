// The widget's whole style sheet, inside its shadow root. The host page's rules do not reach
// in; the one element they do reach, the shadow host, is reset here with `!important`, which
// wins over the page's own `!important` rules (the inner context's important declarations
// beat the outer one's). Lengths are px, never rem: the page's root font size does not
// matter. Colours come from variables set on the inner root, not on the host.
export const CSS = `
:host{all:initial!important;display:block!important;position:fixed!important;inset:auto 20px 20px auto!important;z-index:2147483647!important;width:auto!important;height:auto!important;min-width:0!important;min-height:0!important;max-width:none!important;max-height:none!important;margin:0!important;padding:0!important;border:0!important;background:none!important;overflow:visible!important;visibility:visible!important;opacity:1!important;transform:none!important;filter:none!important;pointer-events:auto!important;color-scheme:light!important}
:host([data-pos=left]){inset:auto auto 20px 20px!important}
*{box-sizing:border-box;margin:0;padding:0;border:0;font:inherit;color:inherit;background:none;text-align:inherit}
[hidden]{display:none!important}
.hl{font:14px/1.5 system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei",sans-serif;color:#1f2937;text-align:left;direction:ltr;letter-spacing:normal;word-spacing:normal;text-transform:none;white-space:normal;-webkit-font-smoothing:antialiased}
button{cursor:pointer}
button:disabled{opacity:.5;cursor:default}
a{text-decoration:underline}
.launcher{width:56px;height:56px;border-radius:50%;background:var(--hl-accent);color:var(--hl-on);box-shadow:0 6px 20px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;position:relative}
.launcher svg{width:28px;height:28px;fill:currentColor}
.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#ef4444;color:#fff;font-size:12px;line-height:20px;text-align:center;font-weight:600}
.preview{position:absolute;bottom:68px;right:0;width:260px;display:flex;align-items:flex-start;gap:4px;background:#fff;border-radius:12px;box-shadow:0 6px 24px rgba(0,0,0,.2);padding:10px 8px 10px 12px}
[data-pos=left] .preview{right:auto;left:0}
.ptext{flex:1;min-width:0;text-align:left;font-size:13px;line-height:1.45;color:#1f2937;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden;overflow-wrap:anywhere}
.px{font-size:16px;line-height:1;color:#9ca3af;padding:0 4px}
.panel{position:absolute;bottom:72px;right:0;width:370px;height:min(620px,calc(100vh - 110px));background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}
[data-pos=left] .panel{right:auto;left:0}
.head{background:var(--hl-accent);color:var(--hl-on);padding:12px 14px;display:flex;align-items:center;gap:10px;flex:none}
.logo{width:32px;height:32px;border-radius:8px;object-fit:cover;background:#fff;flex:none}
.titles{flex:1;min-width:0}
.title{display:block;font-weight:600;font-size:15px}
.sub{display:block;font-size:12px;opacity:.9;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.x{font-size:24px;line-height:1;padding:2px 8px;border-radius:6px}
.banner{padding:7px 14px;font-size:12px;background:#fffbeb;color:#92400e;border-bottom:1px solid #fde68a;display:flex;gap:8px;align-items:center;justify-content:space-between;flex:none}
.banner.conn{background:#f3f4f6;color:#4b5563;border-color:#e5e7eb}
.banner .chip{margin:0}
.list{flex:1;overflow-y:auto;padding:10px 12px;background:#f7f8fa;overscroll-behavior:contain}
.row{display:flex;margin:6px 0}
.row.me{justify-content:flex-end}
.bubble{max-width:84%;padding:8px 11px;border-radius:12px;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.06);overflow-wrap:anywhere}
.me .bubble{background:var(--hl-accent);color:var(--hl-on)}
.me .bubble .text a{color:inherit}
.who{font-size:11px;color:#6b7280;margin:0 0 2px}
.text{white-space:pre-wrap}
.text a,.rich a,.card a,.vote{color:var(--hl-link)}
.event,.notice{text-align:center;font-size:12px;color:#6b7280;margin:10px 0}
.state{font-size:11px;color:#6b7280;text-align:right;margin-top:2px}
.state.bad{color:#dc2626}
.state button{color:var(--hl-link);text-decoration:underline;margin-left:6px}
.chip{border:1px solid var(--hl-link);color:var(--hl-link);background:#fff;border-radius:16px;padding:4px 12px;font-size:13px;margin:4px 6px 0 0;text-align:center}
.buttons{display:flex;flex-wrap:wrap;margin-top:2px}
.menu .text{margin-bottom:2px}
.answer>*+*{margin-top:6px}
.image img{display:block;max-width:220px;max-height:240px;width:auto;height:auto;border-radius:8px}
.media{display:block;max-width:240px}
.file,.location{display:block}
.location span{display:block;font-size:12px;color:#6b7280}
.card{display:flex;gap:8px}
.card img{width:64px;height:64px;object-fit:cover;border-radius:6px;flex:none}
.card-body{min-width:0}
.price{color:#dc2626;font-weight:600}
dl{display:grid;grid-template-columns:auto 1fr;gap:0 8px;font-size:12px;margin-top:4px}
dt{color:#6b7280}
.muted{color:#6b7280;font-size:12px}
.rich p,.rich ul,.rich ol,.rich pre,.rich blockquote{margin:0 0 6px}
.rich ul,.rich ol{padding-left:18px}
.rich b,.rich strong,.rich h3,.rich h4{font-weight:600}
.rich i,.rich em{font-style:italic}
.rich img{max-width:100%}
.vote{font-size:12px}
.typing{font-size:12px;color:#6b7280;padding:2px 4px}
.progress{height:4px;background:#e5e7eb;border-radius:2px;overflow:hidden;margin-top:6px}
.progress i{display:block;height:100%;background:var(--hl-accent);width:0}
.history{opacity:.7}
.tools{display:flex;gap:6px;padding:6px 10px 0;background:#fff;border-top:1px solid #e5e7eb;flex:none}
.tools .chip{margin:0}
.composer{padding:6px 8px 8px;display:flex;gap:6px;align-items:flex-end;background:#fff;flex:none}
.composer textarea{flex:1;resize:none;height:38px;max-height:120px;line-height:1.4}
.icon{width:36px;height:36px;border-radius:8px;color:#4b5563;font-size:18px;flex:none}
.primary{background:var(--hl-accent);color:var(--hl-on);border-radius:10px;padding:8px 14px;font-weight:600;flex:none}
.plain{border:1px solid #d1d5db;border-radius:10px;padding:8px 14px;background:#fff}
input,textarea{font-size:14px;border:1px solid #d1d5db;border-radius:8px;padding:8px 10px;color:#111827;background:#fff;width:100%;outline:none}
input:focus,textarea:focus{border-color:var(--hl-accent)}
label{display:flex;flex-direction:column;font-size:12px;color:#4b5563;gap:3px}
.error{color:#dc2626;font-size:12px}
.error:empty{display:none}
.sheet{position:absolute;inset:0;background:rgba(17,24,39,.4);display:flex;align-items:flex-end}
.leave{background:#fff;width:100%;padding:14px;border-radius:14px 14px 0 0;display:flex;flex-direction:column;gap:8px;max-height:100%;overflow:auto}
.actions{display:flex;gap:8px;justify-content:flex-end}
.rating{background:#fff;border-radius:12px;padding:12px;margin:10px 0;display:flex;flex-direction:column;gap:8px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.rating .primary{align-self:flex-end}
.scale{display:flex;gap:4px}
.score{flex:1;display:flex;flex-direction:column;align-items:center;gap:2px;padding:6px 2px;border-radius:8px;min-width:0}
.score .label{font-size:11px;color:#6b7280;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:100%}
.star .icon{font-size:26px;line-height:1;color:#d1d5db}
.star[aria-pressed=true] .icon{color:#f59e0b}
.face{border:1px solid #e5e7eb}
.face .icon{font-size:24px;line-height:1.1;filter:grayscale(1);opacity:.6}
.face[aria-pressed=true]{border-color:var(--hl-accent);background:#f9fafb}
.face[aria-pressed=true] .icon{filter:none;opacity:1}
.face[aria-pressed=true] .label{color:#1f2937}
.rating .hint{min-height:18px;font-size:12px}
.rating .tags{display:flex;flex-wrap:wrap;gap:6px}
.rating .tags .muted{width:100%;font-size:12px}
.rating .tag{border-color:#d1d5db;color:#374151;margin:0}
.rating .tag[aria-pressed=true]{border-color:var(--hl-accent);color:var(--hl-on);background:var(--hl-accent)}
.thanks{text-align:center;color:#047857}
@media (max-width:480px){
:host{inset:auto 16px 16px auto!important}
:host([data-pos=left]){inset:auto auto 16px 16px!important}
.panel{position:fixed;inset:0;width:100%;height:100%;border-radius:0}
.open .launcher{display:none}
.bubble{max-width:90%}
}
`;
