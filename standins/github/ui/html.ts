// An HTML template tag that escapes every value unless it is already `Html` (made by this tag, `raw` or the markdown renderer), and the page frame.
import { escapeHtml } from "./markdown.js";

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function text(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(text).join("");
  return escapeHtml(String(part));
}

export function h(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] ?? "";
  parts.forEach((part, i) => (out += text(part) + (strings[i + 1] ?? "")));
  return new Html(out);
}

/** Trusted markup: only for HTML this module's callers wrote or the safe markdown renderer produced. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/**
 * No script of any origin, no plugin, no form target, no remote image: even a markup bug could not run code from a
 * comment. Inline styles only (the stylesheet is in the page).
 */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE = `
:root { color-scheme: light; --fg:#1f2328; --muted:#59636e; --border:#d1d9e0; --bg-muted:#f6f8fa; --green:#1a7f37; --red:#d1242f; --yellow:#9a6700; --blue:#0969da; --purple:#8250df; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color:var(--fg); background:#fff; }
header.top { background:#1f2328; color:#fff; padding:12px 24px; display:flex; gap:16px; align-items:center; }
header.top a { color:#fff; text-decoration:none; font-weight:600; }
header.top .note { color:#9198a1; font-size:12px; margin-left:auto; }
main { max-width:1012px; margin:0 auto; padding:24px; }
a { color:var(--blue); }
h1 { font-size:26px; font-weight:400; margin:0 0 8px; }
h1 .num { color:var(--muted); }
h2 { font-size:18px; margin:32px 0 8px; padding-bottom:6px; border-bottom:1px solid var(--border); }
.meta { color:var(--muted); margin-bottom:16px; }
.state { display:inline-block; padding:4px 12px; border-radius:2em; color:#fff; font-weight:500; margin-right:8px; }
.state.open { background:var(--green); } .state.closed { background:var(--red); } .state.merged { background:var(--purple); }
.box { border:1px solid var(--border); border-radius:6px; margin:12px 0; overflow:hidden; }
.box > .head { background:var(--bg-muted); border-bottom:1px solid var(--border); padding:8px 16px; color:var(--muted); }
.box > .head strong { color:var(--fg); }
.box > .body { padding:16px; }
.markdown-body h3 { font-size:16px; margin:0 0 12px; }
.markdown-body pre { background:var(--bg-muted); padding:12px 16px; border-radius:6px; overflow:auto; font-size:12px; line-height:1.45; }
.markdown-body code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:12px; background:rgba(175,184,193,.2); padding:.2em .4em; border-radius:6px; }
.markdown-body pre code { background:none; padding:0; }
.markdown-body .d-add { color:#116329; background:#dafbe1; display:inline-block; width:100%; }
.markdown-body .d-del { color:#82071e; background:#ffebe9; display:inline-block; width:100%; }
.markdown-body .d-chg { color:#953800; background:#fff1e5; display:inline-block; width:100%; }
.markdown-body blockquote { margin:0; padding:0 1em; color:var(--muted); border-left:.25em solid var(--border); }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--border); vertical-align:top; }
th { background:var(--bg-muted); font-weight:600; }
.ok { color:var(--green); } .bad { color:var(--red); } .warn { color:var(--yellow); } .muted { color:var(--muted); }
.annotation { border-left:3px solid var(--yellow); padding:4px 12px; margin:8px 0; background:#fff8c5; }
.annotation.failure { border-color:var(--red); background:#ffebe9; }
.annotation.notice { border-color:var(--blue); background:#ddf4ff; }
.annotation .where { font-family: ui-monospace, monospace; font-size:12px; }
pre.plain { background:var(--bg-muted); padding:12px; border-radius:6px; overflow:auto; font-size:12px; white-space:pre-wrap; }
ul.plain { list-style:none; padding:0; margin:0; }
ul.plain li { padding:6px 0; border-bottom:1px solid var(--border); }
`;

export function page(title: string, body: Html): Html {
  return h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · GitHub stand-in</title><style>${raw(STYLE)}</style></head>
<body><header class="top"><a href="/">GitHub stand-in</a><span class="note">local, read-only · ngrok-gitops npm start</span></header>
<main>${body}</main></body></html>`;
}
