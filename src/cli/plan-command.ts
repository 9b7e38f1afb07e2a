// `plan` (what apply would change, or a read-only preview as another installation), `validate` (offline) and `unmanaged`.
import { choosePolicy } from "../desired/repo-policy-choice.js";
import { loadSpecs } from "../desired/load.js";
import { renderText } from "../plan/render.js";
import { runLocal } from "../run/local.js";
import type { Parsed } from "./args.js";
import { colorize } from "./color.js";
import { runConfig } from "./config.js";
import { CLI_NO_DELIVERY, cliVars, cliView, context, counter, deliveryNote, fingerprintsOf, idsOnly, reportInvalid, shortPath, targeted, withTarget, type CliIo } from "./context.js";
import { makePlanFile, recordListing, writePlanFile } from "./plan-file.js";
import { planJson } from "./plan-json.js";
import { readPolicySource } from "./repo-policy-source.js";
import { readSpecSources } from "./sources.js";
import { API_KEYS, SERVICE_USERS, SSH_CREDENTIALS } from "../kinds/records.js";
import { ResourceClient } from "../ngrok/resources.js";
import { renderUnmanaged, renderUnmanagedKinds, unmanagedCredentials, unmanagedOfKinds } from "./unmanaged.js";

export async function planCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const ctx = await context(parsed, io);
  if (parsed.ownerId !== undefined) {
    io.err(
      `note: previewing as OWNER_ID ${parsed.ownerId} (--owner-id), read-only: its credentials count as managed. ` +
        "Its token store and intents are not on this machine, so a note about tokens not in the vault may not hold for it.\n",
    );
  }
  const sources = await readSpecSources(parsed.dir, io.cwd);
  const listing = recordListing(ctx.ngrok);
  const result = await withTarget(ctx.target, () =>
    runLocal(sources, { ...ctx.options, mode: "plan" }, { ngrok: listing.api, resources: new ResourceClient(ctx.ngrok), vault: idsOnly(ctx.store), intents: ctx.intents, noDelivery: CLI_NO_DELIVERY, takeCalls: counter(ctx.ngrok) }),
  );
  if (result.kind === "invalid") {
    reportInvalid(result.errors, result.files, io, parsed.json);
    return 1;
  }
  const plan = targeted(result.plan, parsed.targets, io);
  const view = cliView(plan).plan;
  io.out(parsed.json ? `${JSON.stringify(planJson(view), null, 2)}\n` : colorize(renderText(view), parsed.color));
  if (!parsed.json && view.deliveries.length > 0) io.out(deliveryNote(view.deliveries.length));
  if (plan.refusals.length > 0) {
    io.err(`error: the plan was refused (see above); nothing would be applied${parsed.out ? `, and no plan file was written` : ""}\n`);
    return 1;
  }
  if (parsed.out !== undefined) {
    const fingerprints = await fingerprintsOf(sources, listing.listed(), ctx);
    await writePlanFile(parsed.out, makePlanFile({ apiUrl: ctx.target.url, ownerId: ctx.options.ownerId, targets: parsed.targets, fingerprints, plan }));
    const shown = shortPath(parsed.out, io.cwd);
    (parsed.json ? io.err : io.out)(`\nSaved this plan to ${shown}. Apply exactly it with: npm run apply -- ${shown}\n`);
  }
  // A reviewed setting that changed is a change to review, though it needs no ngrok call: exit 2 as for changes.
  return plan.changes.length > 0 || (plan.settings?.length ?? 0) > 0 ? 2 : 0;
}

/**
 * `validate`: the specs and the policy file checked as a run checks them (the same loader and policy choice), offline:
 * no ngrok call and no API key, for pre-commit hooks and CI. Exit 0 when valid, 1 with every error.
 */
export async function validateCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const vars = await cliVars(parsed, io);
  const config = runConfig(vars);
  const sources = await readSpecSources(parsed.dir, io.cwd);
  const choice = choosePolicy({ head: await readPolicySource(parsed.dir, parsed.policy, io.cwd) });
  const now = Date.now();
  const loaded = loadSpecs(sources, {
    ownerId: config.ownerId,
    ...(choice.policy ? { policy: { policy: choice.policy, now, ...(config.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: config.defaultRotateAfterMs } : {}) } } : {}),
  });
  const errors = [...choice.errors, ...(loaded.ok ? [] : loaded.errors)];
  if (errors.length > 0) {
    reportInvalid(errors, loaded.files, io, parsed.json, "");
    return 1;
  }
  const count = loaded.ok ? loaded.specs.length : 0;
  if (parsed.json) io.out(`${JSON.stringify({ status: "valid", files: loaded.files, credentials: count, errors: [] }, null, 2)}\n`);
  else io.out(`${count} credential${count === 1 ? "" : "s"} in ${loaded.files} spec file${loaded.files === 1 ? "" : "s"}: valid${choice.policy ? ", by the policy file" : ""}.\n`);
  return 0;
}

/** `npm run unmanaged`: the live credentials without a marker (and only those: another installation's are not listed). */
export async function unmanagedCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const ctx = await context(parsed, io);
  const live = await withTarget(ctx.target, () => ctx.ngrok.list());
  const list = unmanagedCredentials(live);
  // Every kind: one listing each (an operator's command, not a run: it may cost a few pages more).
  const resources = new ResourceClient(ctx.ngrok);
  const others = await withTarget(ctx.target, async () => ({ service_users: await resources.list(SERVICE_USERS), api_keys: await resources.list(API_KEYS), ssh_credentials: await resources.list(SSH_CREDENTIALS) }));
  const items = unmanagedOfKinds(others);
  const totals = { service_user: others.service_users.length, api_key: others.api_keys.length, ssh_credential: others.ssh_credentials.length };
  io.out(parsed.json ? `${JSON.stringify([...list.map((c) => ({ kind: "credential", ...c })), ...items], null, 2)}\n` : renderUnmanaged(list, live.length) + renderUnmanagedKinds(items, totals));
  return 0;
}
