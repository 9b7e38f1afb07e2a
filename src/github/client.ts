// A small fetch-based GitHub REST client for Workers: base URL, User-Agent (GitHub refuses requests without one), typed errors.

export type FetchLike = (request: Request) => Promise<Response>;

export interface GitHubClientOptions {
  baseUrl: string;
  /** Resolves the token for each request (a static token, or a cached App installation token). */
  token: () => Promise<string>;
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

  constructor(options: GitHubClientOptions) {
    this.#options = options;
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
