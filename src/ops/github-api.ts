// GitHub calls of setup and doctor: as the App (its JWT, signed by @octokit/auth-app as the Worker signs it), as an installation, or with a token; answers are status + JSON, never thrown away.
import { createAppAuth } from "@octokit/auth-app";
import { request } from "@octokit/request";
import { USER_AGENT } from "../github/client.js";
import { toPkcs8Pem } from "../github/pem.js";

export interface Answer {
  readonly status: number;
  readonly json: unknown;
}

export type Call = (method: string, path: string, body?: unknown) => Promise<Answer>;

/** A caller sending `authorization` (or none) to `apiUrl`, with the User-Agent GitHub requires. */
export function caller(apiUrl: string, authorization: () => Promise<string | null>): Call {
  const base = apiUrl.replace(/\/+$/, "");
  return async (method, path, body) => {
    const auth = await authorization();
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        "user-agent": USER_AGENT,
        "x-github-api-version": "2022-11-28",
        ...(auth ? { authorization: auth } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, json };
  };
}

export interface AppCallers {
  /** As the App itself (GET /app, /app/hook/config, /repos/{o}/{r}/installation). */
  readonly app: Call;
  /** As installation `id` (what the Worker's runs use). */
  installation(id: number): Call;
}

export function appCallers(apiUrl: string, appId: string, privateKey: string): AppCallers {
  // Installation tokens are minted at apiUrl too (auth-app's default is api.github.com).
  const appRequest = request.defaults({ baseUrl: apiUrl.replace(/\/+$/, ""), headers: { "user-agent": USER_AGENT } });
  const auth = createAppAuth({ appId, privateKey: toPkcs8Pem(privateKey), request: appRequest });
  return {
    app: caller(apiUrl, async () => `Bearer ${(await auth({ type: "app" })).token}`),
    installation: (id) => caller(apiUrl, async () => `token ${(await auth({ type: "installation", installationId: id })).token}`),
  };
}
