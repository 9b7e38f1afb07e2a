// The stand-in's read-only web pages (pure: state in, HTML out): repositories, a pull request with its sticky comment, checks and statuses, issues, secrets, and the Worker's runs and audit log.
import type { CheckRunRecord, FakeGitHubState, FakeRepo, IssueRecord, SecretStore } from "../state.js";
import { h, page, raw, type Html } from "./html.js";
import { renderMarkdown, safeHref } from "./markdown.js";
import type { WorkerView } from "./worker-api.js";

const md = (source: string | null | undefined): Html => raw(renderMarkdown(source ?? ""));
const short = (sha: string) => sha.slice(0, 7);
const link = (href: string | null, label: string | Html): Html => {
  const safe = href === null ? null : safeHref(href);
  return safe === null ? h`${label}` : h`<a href="${safe}">${label}</a>`;
};

function pullState(issue: IssueRecord): Html {
  if (issue.pull?.merged) return h`<span class="state merged">Merged</span>`;
  return issue.state === "open" ? h`<span class="state open">Open</span>` : h`<span class="state closed">Closed</span>`;
}

function conclusionClass(conclusion: string | null, status: string): string {
  if (status !== "completed") return "warn";
  return conclusion === "success" || conclusion === "neutral" || conclusion === "skipped" ? "ok" : "bad";
}

export function indexPage(state: FakeGitHubState, worker: boolean): Html {
  const repos = [...state.repos.values()].filter((r) => !r.name.startsWith("."));
  const orgs = [...state.orgs.values()];
  return page(
    "Repositories",
    h`<h1>Repositories</h1>
<div class="meta">What the Worker wrote to the GitHub stand-in: comments, checks, statuses, issues and delivered secrets.</div>
<table><tr><th>Repository</th><th>Default branch</th><th>Open pull requests</th><th>Issues</th><th>Actions secrets</th></tr>
${repos.map(
  (r) => h`<tr><td><a href="/${r.fullName}">${r.fullName}</a></td><td>${r.defaultBranch} <span class="muted">${short(r.branches.get(r.defaultBranch) ?? "")}</span></td>
<td>${r.pullRequests().filter((p) => p.state === "open").length}</td><td>${[...r.issues.values()].filter((i) => !i.pull && i.state === "open").length} open</td><td>${secretCount(r)}</td></tr>`,
)}</table>
${orgs.length > 0 ? h`<h2>Organisation secrets</h2>${orgs.map((o) => h`<h3>${o.login}</h3>${secretsTable(o.secrets)}`)}` : ""}
<h2>Worker</h2>
${worker ? h`<p><a href="/-/worker">Runs and audit log</a> of the Worker that reconciles these repositories.</p>` : h`<p class="muted">No Worker is connected to this stand-in (npm start connects it).</p>`}`,
  );
}

function secretCount(repo: FakeRepo): number {
  let n = repo.actions.secrets.size;
  for (const store of repo.environments.values()) n += store.secrets.size;
  return n;
}

/** Names and times only: a secret's value never leaves the store, here as on GitHub. */
function secretsTable(store: SecretStore): Html {
  const secrets = [...store.secrets.values()].sort((a, b) => a.name.localeCompare(b.name));
  if (secrets.length === 0) return h`<p class="muted">No secrets.</p>`;
  return h`<table class="secrets"><tr><th>Name</th><th>Created</th><th>Updated</th>${secrets.some((s) => s.visibility) ? h`<th>Visibility</th>` : ""}</tr>
${secrets.map((s) => h`<tr><td><code>${s.name}</code></td><td>${s.createdAt}</td><td>${s.updatedAt}</td>${s.visibility ? h`<td>${s.visibility}</td>` : ""}</tr>`)}</table>`;
}

export function repoPage(repo: FakeRepo): Html {
  const pulls = repo.pullRequests().sort((a, b) => b.number - a.number);
  const issues = [...repo.issues.values()].filter((i) => !i.pull).sort((a, b) => b.number - a.number);
  const statuses = [...repo.statuses].reverse().slice(0, 30);
  return page(
    repo.fullName,
    h`<h1>${repo.fullName}</h1>
<div class="meta">${repo.isPrivate ? "Private" : "Public"} · default branch <code>${repo.defaultBranch}</code> at ${short(repo.branches.get(repo.defaultBranch) ?? "")}</div>
<h2>Pull requests</h2>
${pulls.length === 0 ? h`<p class="muted">No pull requests. In npm start, press p and Enter to open one from credentials/.</p>` : h`<ul class="plain">${pulls.map(
  (p) => h`<li>${pullState(p)} <a href="/${repo.fullName}/pull/${p.number}">${p.title}</a> <span class="muted">#${p.number} · ${p.pull?.headRef} → ${p.pull?.baseRef}</span></li>`,
)}</ul>`}
<h2>Issues</h2>
${issues.length === 0 ? h`<p class="muted">No issues.</p>` : h`<ul class="plain">${issues.map(
  (i) => h`<li><span class="${i.state === "open" ? "ok" : "muted"}">${i.state}</span> <a href="/${repo.fullName}/issues/${i.number}">${i.title}</a> <span class="muted">#${i.number}${i.labels.length ? ` · ${i.labels.join(", ")}` : ""}</span></li>`,
)}</ul>`}
<h2>Commit statuses</h2>
${statusTable(statuses, true)}
<h2>Actions secrets</h2>
${secretsTable(repo.actions)}
${[...repo.environments].map(([env, store]) => h`<h3>Environment <code>${env}</code></h3>${secretsTable(store)}`)}
<h2>Branches</h2>
<table><tr><th>Branch</th><th>Head</th></tr>${[...repo.branches].map(([b, sha]) => h`<tr><td>${b}</td><td><code>${short(sha)}</code></td></tr>`)}</table>`,
  );
}

function statusTable(statuses: FakeRepo["statuses"], withSha: boolean): Html {
  if (statuses.length === 0) return h`<p class="muted">No commit statuses.</p>`;
  return h`<table class="statuses"><tr>${withSha ? h`<th>Commit</th>` : ""}<th>Context</th><th>State</th><th>Description</th><th>At</th></tr>
${statuses.map(
  (s) => h`<tr>${withSha ? h`<td><code>${short(s.sha)}</code></td>` : ""}<td>${link(s.targetUrl, s.context)}</td><td class="${s.state === "success" ? "ok" : s.state === "pending" ? "warn" : "bad"}">${s.state}</td><td>${s.description ?? ""}</td><td>${s.createdAt}</td></tr>`,
)}</table>`;
}

export function pullPage(repo: FakeRepo, pull: IssueRecord): Html {
  const fields = pull.pull;
  if (!fields) throw new Error("internal: not a pull request");
  const comments = [...repo.comments.values()].filter((c) => c.issueNumber === pull.number).sort((a, b) => a.id - b.id);
  // Pending reviews are their author's alone: GitHub shows them to nobody else.
  const reviews = (repo.reviews.get(pull.number) ?? []).filter((r) => r.state !== "PENDING");
  const checks = [...repo.checkRuns.values()].filter((r) => r.headSha === fields.headSha).sort((a, b) => a.id - b.id);
  // A merged pull request's page links its merge commit, whose checks say what the apply did (or why it held).
  const merge = fields.merged ? (fields.mergeCommitSha ?? null) : null;
  const mergeChecks = merge ? [...repo.checkRuns.values()].filter((r) => r.headSha === merge).sort((a, b) => a.id - b.id) : [];
  // The latest status per context, as GitHub's merge box shows them.
  const latest = new Map<string, FakeRepo["statuses"][number]>();
  for (const s of repo.statuses) if (s.sha === fields.headSha) latest.set(s.context, s);
  return page(
    `${pull.title} #${pull.number}`,
    h`<h1 class="pull-title">${pull.title} <span class="num">#${pull.number}</span></h1>
<div class="meta">${pullState(pull)} <strong>${pull.user.login}</strong> wants to merge <code>${fields.headRef}</code> into <code>${fields.baseRef}</code> · head <code>${short(fields.headSha)}</code>${fields.headRepo !== repo.fullName ? h` from fork <code>${fields.headRepo}</code>` : ""} · <a href="/${repo.fullName}">${repo.fullName}</a></div>
${pull.body ? h`<div class="box"><div class="head"><strong>${pull.user.login}</strong> opened this pull request</div><div class="body markdown-body">${md(pull.body)}</div></div>` : ""}
<h2>Conversation</h2>
${comments.length === 0 ? h`<p class="muted">No comments yet.</p>` : comments.map(
  (c) => h`<div class="box comment" id="issuecomment-${c.id}"><div class="head"><strong>${c.user.login}</strong> commented ${c.createdAt}${c.updatedAt !== c.createdAt ? h` · edited ${c.updatedAt}` : ""}</div><div class="body markdown-body">${md(c.body)}</div></div>`,
)}
<h2>Reviews</h2>
${reviews.length === 0 ? h`<p class="muted">No reviews yet. In npm start, press a and Enter to approve as a second local user.</p>` : h`<ul class="plain">${reviews.map(
  (r) => h`<li class="review" id="review-${r.id}"><strong>${r.user.login}</strong> <span class="${r.state === "APPROVED" ? "ok" : r.state === "CHANGES_REQUESTED" ? "bad" : "muted"}">${r.state.toLowerCase().replace("_", " ")}</span> on <code>${short(r.commitId)}</code>${r.submittedAt ? ` · ${r.submittedAt}` : ""}</li>`,
)}</ul>`}
<h2>Checks</h2>
${checks.length === 0 ? h`<p class="muted">No check runs for ${short(fields.headSha)}.</p>` : checkRunBoxes(checks)}
<h2>Commit statuses</h2>
${statusTable([...latest.values()], false)}
${merge ? h`<h2>Merge commit <code>${short(merge)}</code></h2>
${mergeChecks.length === 0 ? h`<p class="muted">No check runs for the merge commit yet.</p>` : checkRunBoxes(mergeChecks)}` : ""}`,
  );
}

function checkRunBoxes(runs: readonly CheckRunRecord[]): Html[] {
  return runs.map(
    (r) => h`<div class="box check-run" id="check-run-${r.id}"><div class="head"><strong>${r.name}</strong> · <span class="${conclusionClass(r.conclusion, r.status)}">${r.status === "completed" ? (r.conclusion ?? "completed") : r.status}</span>${r.output.title ? h` · ${r.output.title}` : ""}</div>
<div class="body">${r.annotations.length > 0 ? h`<div class="annotations">${r.annotations.map(
      (a) => h`<div class="annotation ${a.annotation_level}"><span class="where">${a.path}:${a.start_line}${a.end_line !== a.start_line ? `-${a.end_line}` : ""}${a.start_column !== undefined ? `:${a.start_column}` : ""}</span> <strong>${a.annotation_level}</strong>${a.title ? h` ${a.title}` : ""}<div>${a.message}</div></div>`,
    )}</div>` : ""}
${r.output.summary ? h`<div class="markdown-body">${md(r.output.summary)}</div>` : ""}${r.output.text ? h`<div class="markdown-body">${md(r.output.text)}</div>` : ""}</div></div>`,
  );
}

export function issuePage(repo: FakeRepo, issue: IssueRecord): Html {
  const comments = [...repo.comments.values()].filter((c) => c.issueNumber === issue.number).sort((a, b) => a.id - b.id);
  return page(
    `${issue.title} #${issue.number}`,
    h`<h1>${issue.title} <span class="num">#${issue.number}</span></h1>
<div class="meta"><span class="state ${issue.state}">${issue.state === "open" ? "Open" : "Closed"}</span> opened by <strong>${issue.user.login}</strong> ${issue.createdAt}${issue.labels.length ? h` · labels ${issue.labels.map((l) => h`<code>${l}</code> `)}` : ""} · <a href="/${repo.fullName}">${repo.fullName}</a></div>
<div class="box"><div class="head"><strong>${issue.user.login}</strong> · updated ${issue.updatedAt}</div><div class="body markdown-body">${md(issue.body)}</div></div>
${comments.map((c) => h`<div class="box comment"><div class="head"><strong>${c.user.login}</strong> commented ${c.createdAt}</div><div class="body markdown-body">${md(c.body)}</div></div>`)}`,
  );
}

export function workerPage(view: WorkerView): Html {
  if (view.kind === "unconfigured") return page("Worker", h`<h1>Worker</h1><p class="muted">No Worker is connected to this stand-in (npm start connects it).</p>`);
  if (view.kind === "error") return page("Worker", h`<h1>Worker</h1><p class="bad">The Worker at ${view.url} did not answer: ${view.message}</p>`);
  const { status, runs, audit } = view;
  return page(
    "Worker",
    h`<h1>Worker</h1>
<div class="meta">${view.url} · ${status.current ? h`run ${status.current.id} in progress` : "idle"} · ${status.queued.length} queued · drift ${status.drift.detected ? h`<span class="warn">detected (${status.drift.changes} changes)</span>` : "none"}</div>
<h2>Runs</h2>
${runs.length === 0 ? h`<p class="muted">No runs yet.</p>` : runs.map(
  (r) => h`<div class="box run" id="run-${r.id}"><div class="head"><strong>Run ${r.id}</strong> · ${r.cause}${r.pr !== null ? h` (pull request <a href="/${view.repository}/pull/${r.pr}">#${r.pr}</a>)` : ""} · ${r.mode} · <span class="${r.status === "succeeded" || r.status === "skipped" ? "ok" : r.status === "running" ? "warn" : "bad"}">${r.status}</span> · ${r.sha ? short(r.sha) : ""} · ${r.started_at}${r.finished_at ? ` → ${r.finished_at}` : ""}</div>
<div class="body">${r.plan_text ? h`<pre class="plain">${r.plan_text}</pre>` : ""}${r.outcomes.length ? h`<ul>${r.outcomes.map((o) => h`<li>${o.status} ${o.action} ${o.name}${o.target ? ` → ${o.target}` : ""}${o.error ? h` <span class="bad">${o.error}</span>` : ""}</li>`)}</ul>` : ""}${r.errors.length ? h`<ul class="bad">${r.errors.map((e) => h`<li>${e}</li>`)}</ul>` : ""}</div></div>`,
)}
<h2>Audit log</h2>
${audit.length === 0 ? h`<p class="muted">No audit entries.</p>` : h`<table class="audit"><tr><th>#</th><th>At</th><th>Run</th><th>Kind</th><th>Cause</th><th>Name</th><th>Action</th><th>Result</th><th>Actor</th><th>Commit</th></tr>
${audit.map((e) => h`<tr><td>${e.id}</td><td>${e.at}</td><td>${e.run_id ?? ""}</td><td>${e.kind}</td><td>${e.cause ?? ""}</td><td>${e.name ?? ""}</td><td>${e.action ?? ""}</td><td>${e.result}</td><td>${e.actor ?? ""}</td><td>${e.sha ? short(e.sha) : ""}</td></tr>`)}</table>`}`,
  );
}

export function notFoundPage(what: string): Html {
  return page("Not found", h`<h1>Not found</h1><p>${what}</p><p><a href="/">All repositories</a></p>`);
}
