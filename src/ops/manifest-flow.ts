// GitHub's App manifest flow from the laptop: a loopback page posts the manifest to GitHub, GitHub sends the browser back with a code, and the code is converted into the App.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { USER_AGENT } from "../github/client.js";
import { buildManifest, installUrl, ManifestError, manifestFormAction, manifestPage, parseConversion, resultPage, type ConvertedApp } from "./app-manifest.js";

export interface ManifestFlowOptions {
  /** github.com (or the stand-in): where the manifest is posted. */
  readonly webUrl: string;
  /** api.github.com (or the stand-in): where the code is converted. */
  readonly apiUrl: string;
  /** Create the App under this organization instead of the signed-in user. */
  readonly org?: string;
  readonly name: string;
  readonly workerUrl: string;
  readonly repository: string;
  readonly deliver?: boolean;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Told the page's address once it listens (to print it). */
  readonly onListening: (url: string) => void;
}

const send = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" });
  res.end(body);
};

/** Converts a manifest code (POST /app-manifests/{code}/conversions needs no authentication; a code works once, for an hour). */
export async function convertCode(apiUrl: string, code: string): Promise<ConvertedApp> {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(code)) throw new ManifestError("GitHub sent back a malformed code");
  const res = await fetch(`${apiUrl.replace(/\/+$/, "")}/app-manifests/${code}/conversions`, {
    method: "POST",
    headers: { accept: "application/vnd.github+json", "user-agent": USER_AGENT, "x-github-api-version": "2022-11-28" },
  });
  if (res.status !== 201) throw new ManifestError(`POST /app-manifests/{code}/conversions answered ${res.status} (a code works once and for an hour: run setup again)`);
  return parseConversion(await res.json());
}

/** Serves the page on 127.0.0.1 until GitHub's redirect brings a code with our state, converts it, and resolves with the App. */
export function runManifestFlow(options: ManifestFlowOptions): Promise<ConvertedApp> {
  const state = randomBytes(16).toString("hex");
  return new Promise((resolve, reject) => {
    let origin = "";
    let done = false;
    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", origin);
      if (req.method === "GET" && url.pathname === "/") {
        const manifest = buildManifest({ name: options.name, workerUrl: options.workerUrl, redirectUrl: `${origin}/callback`, repository: options.repository, webUrl: options.webUrl, deliver: options.deliver ?? false });
        return send(res, 200, manifestPage(manifestFormAction(options.webUrl, options.org, state), manifest));
      }
      if (req.method !== "GET" || url.pathname !== "/callback") return send(res, 404, resultPage("Not found", []));
      // The state proves the redirect answers the page we served (no one else's code is converted).
      if (done || url.searchParams.get("state") !== state) return send(res, 400, resultPage("This link is not from this setup run", ["Open the setup page again and create the App from there."]));
      done = true;
      try {
        const app = await convertCode(options.apiUrl, url.searchParams.get("code") ?? "");
        send(res, 200, resultPage(`Created the GitHub App ${app.slug}`, [`Install it on ${options.repository}: ${installUrl(options.webUrl, app.slug)}`, "You can close this tab; setup continues in the terminal."]));
        resolve(app);
      } catch (error) {
        send(res, 502, resultPage("Creating the App failed", [error instanceof Error ? error.message : String(error)]));
        reject(error);
      } finally {
        server.close();
      }
    };
    const server = createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, resultPage("setup failed", [String(error)]));
      });
    });
    server.on("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      options.onListening(`${origin}/`);
    });
  });
}
