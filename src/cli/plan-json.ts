// `plan --json`: the plan as data for pipelines, snake_case like the HTTP API (status, summary and plan_text as /api/status reports a plan run).
import { renderText } from "../plan/render.js";
import { summarize, type Change, type KindChange, type Plan, type PlanChange } from "../plan/types.js";

/** A change as JSON: a rotation's `retireAt` / `retireBody` become `retire_at` / `retire_body`; every other key is already snake_case. */
export type ChangeJson = KindChange | Exclude<Change, { action: "rotate" }> | (Omit<Extract<Change, { action: "rotate" }>, "retireAt" | "retireBody"> & { retire_at: string; retire_body: Extract<Change, { action: "rotate" }>["retireBody"] });

export type PlanJson = Omit<Plan, "ownerId" | "staleIntents" | "settingsSince" | "changes"> & {
  /** As the Worker's run of a plan: "refused" when the plan must not be applied. */
  status: "succeeded" | "refused";
  owner_id: string;
  summary: { create: number; update: number; delete: number };
  changes: ChangeJson[];
  stale_intents: Plan["staleIntents"];
  /** Where the specs reviewed settings are compared with come from, when there are any. */
  settings_since?: string;
  /** The plan as text, as `plan_text` in /api/status. */
  plan_text: string;
};

function changeJson(change: PlanChange): ChangeJson {
  if (change.action !== "rotate" || "kind" in change) return change;
  const { retireAt, retireBody, ...rest } = change;
  return { ...rest, retire_at: retireAt, retire_body: retireBody };
}

export function planJson(plan: Plan): PlanJson {
  const { ownerId, staleIntents, settingsSince, changes, ...rest } = plan;
  return {
    status: plan.refusals.length > 0 ? "refused" : "succeeded",
    owner_id: ownerId,
    summary: summarize(plan),
    ...rest,
    changes: changes.map(changeJson),
    stale_intents: staleIntents,
    ...(settingsSince === undefined ? {} : { settings_since: settingsSince }),
    plan_text: renderText(plan),
  };
}
