// A small fetch-based GitHub REST client for Workers: base URL, User-Agent (GitHub refuses requests without one), typed errors.

export type FetchLike = (request: Request) => Promise<Response>;

/** Resolves the token for each request (a static token, or a cached App installation token). */
export interface TokenSource {
  (): Promise<string>;
  /**
   * The login the token acts as, when the source knows better than GET /user: a GitHub App's installation
   * token acts as `<slug>[bot]`, and GET /user refuses installation tokens.
   */
  login?: () => Promise<string>;
}

export interface GitHubClientOptions {
  baseUrl: string;
  token: TokenSource;
  fetch?: FetchLike;
}

export class GitHubApiError extends Error {
  readonly code = "GITHUB_API_ERROR";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    detail: string,
  ) {
    super(`GitHub ${method} ${path} failed: HTTP ${status}${detail ? `: ${detail}` : ""}`);
    this.name = "GitHubApiError";
  }
}

export const USER_AGENT = "ngrok-gitops";

export class GitHubClient {
  /** Requests sent, for run reports. */
  requests = 0;
  readonly #options: GitHubClientOptions;
  #login: Promise<string> | null = null;

  constructor(options: GitHubClientOptions) {
    this.#options = options;
  }

  /** The login this client writes as (its comments carry it as `user.login`); asked once per client. */
  login(): Promise<string> {
    if (this.#login) return this.#login;
    const asked = this.#options.token.login
      ? this.#options.token.login()
      : this.request<{ login?: unknown }>("GET", "/user").then((user) => {
          if (typeof user?.login !== "string" || user.login === "") throw new GitHubApiError("GET", "/user", 200, "the response has no login");
          return user.login;
        });
    this.#login = asked;
    // A failed lookup is not remembered: the next call asks again.
    asked.catch(() => {
      if (this.#login === asked) this.#login = null;
    });
    return asked;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.raw(method, path, body);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** The response itself (for Link headers); throws GitHubApiError unless 2xx. */
  async raw(method: string, path: string, body?: unknown): Promise<Response> {
    const url = new URL(path.replace(/^\//, ""), this.#options.baseUrl.replace(/\/?$/, "/"));
    const headers = new Headers({
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28",
      "User-Agent": USER_AGENT,
      Authorization: `Bearer ${await this.#options.token()}`,
    });
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers.set("Content-Type", "application/json");
      init.body = JSON.stringify(body);
    }
    this.requests++;
    const response = await (this.#options.fetch ?? ((r: Request) => fetch(r)))(new Request(url, init));
    if (response.status >= 200 && response.status < 300) return response;
    let detail = "";
    try {
      const parsed = (await response.json()) as { message?: unknown };
      if (typeof parsed.message === "string") detail = parsed.message.slice(0, 300);
    } catch {
      // A non-JSON error page: the status says enough.
    }
    throw new GitHubApiError(method, url.pathname, response.status, detail);
  }
}

/** `owner/name` → path segments, validated (the repository comes from config, never from a payload). */
export function repoPath(repository: string): string {
  const [owner, name, extra] = repository.split("/");
  if (!owner || !name || extra !== undefined) throw new Error(`not a repository: ${JSON.stringify(repository)}`);
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}
