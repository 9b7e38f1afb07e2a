// The stand-in's App registration and wiring routes: the manifest pages and conversion, the App's webhook config, the install page, and branch protection.
import type { Context, Env as HonoEnv, Hono } from "hono";
import { appJson, type AppRecord, type AppRegistry, type Permissions } from "./apps.js";
import { GitHubError, invalidRequest, notFound } from "./errors.js";
import { CODE_TTL_MS, MANIFEST_DOCS, nameProblems, newRegistration, parseManifest, randomHex, slugify, type Manifest, type Registration } from "./manifest.js";
import { parseProtection, protectionJson, PROTECTION_DOCS, type Protection } from "./protection.js";
import type { Urls } from "./serialize.js";
import type { FakeGitHubState, FakeRepo } from "./state.js";
import { h, page, type Html } from "./ui/html.js";

/** Who is calling, as the REST routes here need to know it. */
export type Caller =
  | { readonly kind: "anonymous" }
  | { readonly kind: "app" }
  | { readonly kind: "user"; readonly login: string }
  | { readonly kind: "installation"; readonly permissions: Permissions; readonly repositories: ReadonlySet<string> | null };

export interface AppRouteDeps<E extends HonoEnv> {
  readonly state: FakeGitHubState;
  readonly apps: AppRegistry;
  readonly urls: (c: Context<E>) => Urls;
  readonly requireApp: (c: Context<E>) => AppRecord;
  readonly caller: (c: Context<E>) => Caller;
  /** Who is signed in to the web pages. */
  readonly webUser: string;
}

interface PendingCode {
  readonly app: AppRecord;
  readonly registration: Registration;
  readonly expiresAt: number;
}

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";
const html = (body: Html, status = 200) => new Response(body.value, { status, headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_CSP, "cache-control": "no-store" } });

export function registerAppRoutes<E extends HonoEnv>(app: Hono<E>, deps: AppRouteDeps<E>): void {
  const { state, apps } = deps;
  const codes = new Map<string, PendingCode>();
  const protections = new Map<string, Protection>();
  const protectionKey = (repo: FakeRepo, branch: string) => `${repo.fullName.toLowerCase()}#${branch}`;

  // ---- The manifest flow: POST the manifest, name the App, get redirected with a code ----

  const registrationPage = async (c: Context<E>, owner: string, createPath: string) => {
    const form = await c.req.parseBody();
    const text = typeof form["manifest"] === "string" ? form["manifest"] : "";
    const parsed = parseManifest(text);
    const stateParam = c.req.query("state") ?? "";
    if (!parsed.ok) return html(errorPage(parsed.errors), 422);
    return html(nameForm(parsed.manifest, parsed.manifest.name ?? "", owner, createPath, text, stateParam, []));
  };
  const create = async (c: Context<E>, owner: string, createPath: string) => {
    const form = await c.req.parseBody();
    const text = typeof form["manifest"] === "string" ? form["manifest"] : "";
    const name = typeof form["name"] === "string" ? form["name"].trim() : "";
    const stateParam = typeof form["state"] === "string" ? form["state"] : "";
    const parsed = parseManifest(text);
    if (!parsed.ok) return html(errorPage(parsed.errors), 422);
    const problems = nameProblems(name, apps.byName(name) !== undefined || apps.bySlug(slugify(name)) !== undefined);
    if (problems.length > 0) return html(nameForm(parsed.manifest, name, owner, createPath, text, stateParam, problems), 422);
    const manifest = parsed.manifest;
    const registration = await newRegistration(manifest);
    const ownerRecord = state.user(owner, owner === deps.webUser ? "User" : "Organization");
    const record = apps.add({
      slug: slugify(name), name, owner: ownerRecord, description: manifest.description, externalUrl: manifest.url,
      clientId: `Iv23li${randomHex(7)}`, createdAt: state.isoNow(), permissions: manifest.permissions, events: manifest.events,
      setupUrl: manifest.setupUrl, installations: [],
      hook: manifest.hook ? { url: manifest.hook.url, content_type: "json", insecure_ssl: "0", secret: registration.webhookSecret } : null,
      key: () => Promise.resolve(registration.publicKey),
    });
    const code = randomHex(20);
    codes.set(code, { app: record, registration, expiresAt: state.now() + CODE_TTL_MS });
    if (!manifest.redirectUrl) return c.redirect(`/settings/apps/${record.slug}`, 302);
    const target = new URL(manifest.redirectUrl);
    target.searchParams.set("code", code);
    if (stateParam) target.searchParams.set("state", stateParam);
    return c.redirect(target.toString(), 302);
  };
  app.post("/settings/apps/new", (c) => registrationPage(c, deps.webUser, "/settings/apps"));
  app.post("/organizations/:org/settings/apps/new", (c) => registrationPage(c, c.req.param("org") ?? "", `/organizations/${c.req.param("org") ?? ""}/settings/apps`));
  app.post("/settings/apps", (c) => create(c, deps.webUser, "/settings/apps"));
  app.post("/organizations/:org/settings/apps", (c) => create(c, c.req.param("org") ?? "", `/organizations/${c.req.param("org") ?? ""}/settings/apps`));
  app.get("/settings/apps/:slug", (c) => {
    const record = apps.bySlug(c.req.param("slug") ?? "");
    if (!record) return html(errorPage(["No such GitHub App"]), 404);
    return html(page(record.name, h`<h1>${record.name}</h1><p>App ID: ${record.id}</p><p><a href="/apps/${record.slug}/installations/new">Install App</a></p>`));
  });

  // POST /app-manifests/{code}/conversions: no authentication; a code converts once, within an hour.
  app.post("/app-manifests/:code/conversions", (c) => {
    const code = c.req.param("code") ?? "";
    const pending = codes.get(code);
    codes.delete(code);
    if (!pending || pending.expiresAt <= state.now()) throw notFound("https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest");
    const { app: record, registration } = pending;
    return c.json({ ...appJson(record, deps.urls(c)), client_secret: registration.clientSecret, webhook_secret: registration.webhookSecret, pem: registration.pem }, 201);
  });

  app.get("/apps/:slug", (c) => {
    const record = apps.bySlug(c.req.param("slug") ?? "");
    if (!record) throw notFound("https://docs.github.com/rest/apps/apps#get-an-app");
    return c.json(appJson(record, deps.urls(c)));
  });

  // ---- The App's webhook configuration (App JWT) ----

  const hookDocs = "https://docs.github.com/rest/apps/webhooks#get-a-webhook-configuration-for-an-app";
  const hookJson = (record: AppRecord) => {
    if (!record.hook) throw notFound(hookDocs);
    return { content_type: record.hook.content_type, insecure_ssl: record.hook.insecure_ssl, url: record.hook.url, ...(record.hook.secret ? { secret: "********" } : {}) };
  };
  app.get("/app/hook/config", (c) => c.json(hookJson(deps.requireApp(c))));
  app.patch("/app/hook/config", async (c) => {
    const record = deps.requireApp(c);
    const body: unknown = await c.req.json().catch(() => null);
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new GitHubError(400, "Problems parsing JSON");
    const input = body as Record<string, unknown>;
    const url = input["url"];
    if (url !== undefined && typeof url !== "string") throw invalidRequest(`For 'properties/url', ${JSON.stringify(url)} is not a string.`, hookDocs);
    const contentType = input["content_type"];
    const hook = record.hook ?? { url: "", content_type: "json", insecure_ssl: "0", secret: null };
    record.hook = {
      url: typeof url === "string" ? url : hook.url,
      content_type: contentType === "form" ? "form" : contentType === "json" ? "json" : hook.content_type,
      insecure_ssl: input["insecure_ssl"] === "1" || input["insecure_ssl"] === 1 ? "1" : hook.insecure_ssl,
      secret: typeof input["secret"] === "string" ? input["secret"] : hook.secret,
    };
    return c.json(hookJson(record));
  });

  // ---- Installing an App (web page signed in as webUser) ----

  app.get("/apps/:slug/installations/new", (c) => {
    const record = apps.bySlug(c.req.param("slug") ?? "");
    if (!record) return html(errorPage(["No such GitHub App"]), 404);
    const repos = [...state.repos.values()].filter((r) => r.owner.login.toLowerCase() === record.owner.login.toLowerCase());
    return html(page(`Install ${record.name}`, h`<h1>Install ${record.name}</h1>
<form method="post" action="/apps/${record.slug}/installations">
<p>on <strong>${record.owner.login}</strong></p>
<p><label><input type="radio" name="repository_selection" value="all" checked> All repositories</label></p>
<p><label><input type="radio" name="repository_selection" value="selected"> Only select repositories</label></p>
${repos.map((r) => h`<p><label><input type="checkbox" name="repositories" value="${r.fullName}"> ${r.fullName}</label></p>`)}
<button type="submit">Install</button></form>`));
  });
  app.post("/apps/:slug/installations", async (c) => {
    const record = apps.bySlug(c.req.param("slug") ?? "");
    if (!record) return html(errorPage(["No such GitHub App"]), 404);
    const form = await c.req.parseBody({ all: true });
    const chosen = form["repositories"];
    const repositories = form["repository_selection"] === "selected" ? (Array.isArray(chosen) ? chosen : chosen === undefined ? [] : [chosen]).filter((r): r is string => typeof r === "string") : undefined;
    const id = apps.nextInstallationId();
    record.installations.push({ id, account: record.owner.login, ...(repositories ? { repositories } : {}) });
    if (record.setupUrl) {
      const target = new URL(record.setupUrl);
      target.searchParams.set("installation_id", String(id));
      target.searchParams.set("setup_action", "install");
      return c.redirect(target.toString(), 302);
    }
    return html(page("Installed", h`<h1>Installed ${record.name}</h1><p>Installation ${id} on ${record.owner.login}.</p>`));
  });

  // ---- Branch protection (administration permission; an App JWT is refused) ----

  const protectionAccess = (c: Context<E>, level: "read" | "write"): { repo: FakeRepo; branch: string } => {
    const repo = state.repo(c.req.param("owner") ?? "", c.req.param("repo") ?? "");
    if (!repo) throw notFound(PROTECTION_DOCS);
    const who = deps.caller(c);
    if (who.kind === "anonymous") throw new GitHubError(401, "Requires authentication", PROTECTION_DOCS);
    if (who.kind === "app") throw new GitHubError(403, "Resource not accessible by integration", PROTECTION_DOCS);
    if (who.kind === "installation") {
      if (who.repositories && !who.repositories.has(repo.fullName.toLowerCase())) throw notFound(PROTECTION_DOCS);
      const held = who.permissions["administration"];
      if (!(held === "write" || (held === "read" && level === "read"))) throw new GitHubError(403, "Resource not accessible by integration", PROTECTION_DOCS);
    }
    const branch = c.req.param("branch") ?? "";
    if (!repo.branches.has(branch)) throw new GitHubError(404, "Branch not found", PROTECTION_DOCS);
    return { repo, branch };
  };
  const protectionUrl = (c: Context<E>, repo: FakeRepo, branch: string) => `${deps.urls(c).api}/repos/${repo.fullName}/branches/${branch}/protection`;
  app.get("/repos/:owner/:repo/branches/:branch{.+}/protection", (c) => {
    const { repo, branch } = protectionAccess(c, "read");
    const found = protections.get(protectionKey(repo, branch));
    if (!found) throw new GitHubError(404, "Branch not protected", PROTECTION_DOCS);
    return c.json(protectionJson(found, protectionUrl(c, repo, branch)));
  });
  app.put("/repos/:owner/:repo/branches/:branch{.+}/protection", async (c) => {
    const { repo, branch } = protectionAccess(c, "write");
    const body: unknown = await c.req.json().catch(() => null);
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new GitHubError(400, "Problems parsing JSON");
    const protection = parseProtection(body as Record<string, unknown>);
    protections.set(protectionKey(repo, branch), protection);
    return c.json(protectionJson(protection, protectionUrl(c, repo, branch)));
  });
}

function errorPage(errors: readonly string[]): Html {
  return page("Invalid GitHub App configuration", h`<h1>Invalid GitHub App configuration</h1><ul class="errors">${errors.map((e) => h`<li>${e}</li>`)}</ul><p><a href="${MANIFEST_DOCS}">Registering a GitHub App from a manifest</a></p>`);
}

function nameForm(manifest: Manifest, name: string, owner: string, action: string, manifestText: string, stateParam: string, errors: readonly string[]): Html {
  return page("Create GitHub App", h`<h1>Create GitHub App for ${owner}</h1>
${errors.length > 0 ? h`<ul class="errors">${errors.map((e) => h`<li class="bad">${e}</li>`)}</ul>` : ""}
<form method="post" action="${action}">
<p><label>GitHub App name <input name="name" value="${name}"></label></p>
<input type="hidden" name="manifest" value="${manifestText}"><input type="hidden" name="state" value="${stateParam}">
<p>Homepage: ${manifest.url}</p>
<p>Webhook URL: <span class="hook-url">${manifest.hook?.url ?? "(none)"}</span></p>
<p>Permissions: ${Object.entries(manifest.permissions).map(([k, v]) => `${k}: ${v}`).join(", ")}</p>
<p>Events: ${manifest.events.join(", ") || "(none)"}</p>
<button type="submit">Create GitHub App for ${owner}</button></form>`);
}
