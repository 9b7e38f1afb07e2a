// Markdown as GitHub renders it in a comment (GFM via `marked`), made safe: raw HTML is shown as text, never run, and only http(s), mailto and relative links survive.
import { Marked, type Tokens } from "marked";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

/** Relative, fragment, http(s) and mailto only: `javascript:`, `data:` and friends (in any case or spacing) are dropped. */
export function safeHref(href: string): string | null {
  const trimmed = href.trim();
  // Browsers ignore ASCII control characters and whitespace inside a scheme ("java\tscript:"): judge it as they parse it.
  const compact = trimmed.replace(/[\u0000-\u0020]/g, "");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(compact);
  if (scheme === null) return compact.startsWith("//") ? null : trimmed;
  return ["http", "https", "mailto"].includes((scheme[1] ?? "").toLowerCase()) ? trimmed : null;
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // GitHub hides HTML comments (our sticky-comment marker is one) and allows only a vetted tag subset; we allow none:
    // any other raw HTML is printed as the text it is, so nothing a comment carries can execute.
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      if (/^\s*<!--[\s\S]*?-->\s*$/.test(text)) return "";
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link): string {
      const inner = this.parser.parseInline(tokens);
      const safe = safeHref(href);
      if (safe === null) return inner;
      const t = title ? ` title="${escapeHtml(title)}"` : "";
      return `<a href="${escapeHtml(safe)}"${t} rel="nofollow noopener noreferrer">${inner}</a>`;
    },
    // GitHub colours a diff block's added, removed and changed lines; so do we (the text is escaped line by line).
    code({ text, lang }: Tokens.Code): string | false {
      if (lang !== "diff") return false;
      const lines = text.split("\n").map((line) => {
        const kind = line.startsWith("+") ? "d-add" : line.startsWith("-") ? "d-del" : line.startsWith("~") || line.startsWith("<=") ? "d-chg" : null;
        return kind === null ? escapeHtml(line) : `<span class="${kind}">${escapeHtml(line)}</span>`;
      });
      return `<pre><code class="language-diff">${lines.join("\n")}</code></pre>\n`;
    },
    // Images would load from anywhere (a tracking pixel in a PR comment): show their alt text as a link instead.
    image({ href, text }: Tokens.Image): string {
      const safe = safeHref(href);
      return safe === null ? escapeHtml(text) : `<a href="${escapeHtml(safe)}" rel="nofollow noopener noreferrer">${escapeHtml(text || safe)}</a>`;
    },
  },
});

/** HTML for a comment or issue body; the only markup in it is what the renderer above writes. */
export function renderMarkdown(source: string): string {
  return marked.parse(source, { async: false });
}
