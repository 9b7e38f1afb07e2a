// Serves the fake GitHub over HTTP on loopback (Node, @hono/node-server), for workerd tests and `npm start`.
import { listen } from "../listen.js";
import { createFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from "./app.js";
import { uiResponse, type UiOptions } from "./ui/index.js";

export interface StartFakeGitHubOptions extends FakeGitHubOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The read-only web UI at `/` (always served); its Worker link, when given, shows the Worker's runs and audit log. */
  readonly ui?: UiOptions;
}

export interface StartedFakeGitHub {
  /** Base URL to use as GITHUB_API_URL, e.g. `http://127.0.0.1:8789`. */
  readonly url: string;
  readonly fake: FakeGitHub;
  close(): Promise<void>;
}

/** Thrown when the port is taken; its message is meant to be shown to a person as is. */
export class FakeGitHubPortInUseError extends Error {
  readonly code = "FAKE_GITHUB_PORT_IN_USE";
  constructor(host: string, port: number) {
    super(`fake GitHub: port ${port} on ${host} is in use; pick another with GITHUB_PORT`);
    this.name = "FakeGitHubPortInUseError";
  }
}

export async function startFakeGitHub(options: StartFakeGitHubOptions): Promise<StartedFakeGitHub> {
  const host = options.host ?? "127.0.0.1";
  const fake = createFakeGitHub(options);
  await fake.ready;
  const fetch = async (request: Request): Promise<Response> => (await uiResponse(fake, request, options.ui)) ?? fake.app.fetch(request);
  const listening = await listen(fetch, host, options.port, () => new FakeGitHubPortInUseError(host, options.port));
  return { ...listening, fake };
}
