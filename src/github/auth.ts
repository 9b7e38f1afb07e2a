// GitHub credentials for a run: a GitHub App installation token (preferred) or GITHUB_TOKEN.
import { createAppAuth } from "@octokit/auth-app";
import { request } from "@octokit/request";
import { USER_AGENT, type TokenSource } from "./client.js";
import { toPkcs8Pem } from "./pem.js";

export interface GitHubAuthEnv {
  GITHUB_APP_ID?: string;
  GITHUB_APP_PRIVATE_KEY?: string;
  GITHUB_TOKEN?: string;
}

export class GitHubAuthError extends Error {
  readonly code = "GITHUB_AUTH_MISSING";
}

/** A token source for GitHubClient. With an App, the installation of `repository` is looked up once and its token cached by auth-app. */
export function githubTokenSource(
  env: GitHubAuthEnv,
  baseUrl: string,
  repository: string,
  fetchImpl: (request: Request) => Promise<Response> = (r) => fetch(r),
): TokenSource {
  if (env.GITHUB_APP_ID && env.GITHUB_APP_PRIVATE_KEY) {
    // workerd's fetch sends no User-Agent, and GitHub refuses requests without one. The App's own calls go
    // through the same fetch as the rest of the run, so they count against its subrequest budget.
    const appFetch = (input: RequestInfo | URL, init?: RequestInit) => fetchImpl(new Request(input, init));
    const appRequest = request.defaults({ baseUrl: baseUrl.replace(/\/$/, ""), headers: { "user-agent": USER_AGENT }, request: { fetch: appFetch } });
    const auth = createAppAuth({ appId: env.GITHUB_APP_ID, privateKey: toPkcs8Pem(env.GITHUB_APP_PRIVATE_KEY), request: appRequest });
    let installationId: number | undefined;
    const source: TokenSource = async () => {
      if (installationId === undefined) {
        const app = await auth({ type: "app" });
        const [owner, repo] = repository.split("/");
        const found = await appRequest("GET /repos/{owner}/{repo}/installation", { owner: owner ?? "", repo: repo ?? "", headers: { authorization: `bearer ${app.token}` } });
        installationId = (found.data as { id: number }).id;
      }
      const installation = await auth({ type: "installation", installationId });
      return installation.token;
    };
    // An installation token writes as the App's bot user, `<slug>[bot]`; GET /app (with the App's JWT) names the slug.
    source.login = async () => {
      const app = await auth({ type: "app" });
      const found = await appRequest("GET /app", { headers: { authorization: `bearer ${app.token}` } });
      const slug = (found.data as { slug?: unknown } | null)?.slug;
      if (typeof slug !== "string" || slug === "") throw new GitHubAuthError("GET /app answered without the App's slug");
      return `${slug}[bot]`;
    };
    return source;
  }
  if (env.GITHUB_TOKEN) {
    const token = env.GITHUB_TOKEN;
    return async () => token;
  }
  throw new GitHubAuthError("no GitHub credentials: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (a GitHub App), or GITHUB_TOKEN");
}
