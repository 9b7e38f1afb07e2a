// Reviewed settings that ngrok does not hold (rotate_after, expires, deliver, prevent_destroy, import): what changed
// since the previous specs (a pull request's base branch, or the last apply), as plan lines for reviewers (pure).
import { formatDuration } from "../desired/duration.js";
import { formatInstant } from "../desired/expires.js";
import type { OtherKindList } from "../desired/kind-types.js";
import type { CredentialSpec, SpecSource } from "../desired/types.js";
import { deliveryTargetRef } from "./deliveries.js";
import type { PlanChange, Setting, SettingChange } from "./types.js";

export type { Setting, SettingChange } from "./types.js";

/**
 * The specs to compare with. `label` says where they come from, for people: "the default branch (abc1234)", "the last
 * apply (abc1234)". `paths`: the files that differ, when known (only their specs can have changed); else all.
 */
export interface PreviousSpecs {
  label: string;
  specs: readonly CredentialSpec[];
  paths?: ReadonlySet<string>;
  /** The kinds beside credentials those previous specs used (a run lists them, so removing their last spec deletes). */
  kinds?: readonly OtherKindList[];
}

/** No previous specs to compare with, and why (a note on the plan): e.g. nothing was applied yet. */
export interface NoPreviousSpecs {
  unknown: string;
}

const SETTINGS: readonly Setting[] = ["prevent_destroy", "import", "rotate_after", "expires", "deliver"];

/** The previous sources that differ from the current ones (by path and content): only their specs can have changed. */
export function changedSources(previous: readonly SpecSource[], current: readonly SpecSource[]): { previous: SpecSource[]; paths: Set<string> } {
  const key = (source: SpecSource) => `${source.path}\0${source.sha ?? source.content}`;
  const now = new Set(current.map(key));
  const before = new Set(previous.map(key));
  const paths = new Set([...previous.filter((s) => !now.has(key(s))), ...current.filter((s) => !before.has(key(s)))].map((s) => s.path));
  return { previous: previous.filter((source) => paths.has(source.path)), paths };
}

/**
 * The settings that differ between `previous` and `current` specs, for names in `current` (a name no longer in the
 * specs is a delete, shown as one). A name new to the specs is compared with nothing: each setting it sets is new.
 */
export function settingChanges(previous: readonly CredentialSpec[], current: readonly CredentialSpec[]): SettingChange[] {
  const before = new Map(previous.map((spec) => [spec.name, spec]));
  const out: SettingChange[] = [];
  for (const spec of current) {
    const old = before.get(spec.name);
    for (const setting of SETTINGS) {
      const a = values(old, setting);
      const b = values(spec, setting);
      if (setting === "deliver" || setting === "import") {
        for (const value of b) if (!a.includes(value)) out.push({ name: spec.name, setting, before: null, after: value });
        for (const value of a) if (!b.includes(value)) out.push({ name: spec.name, setting, before: value, after: null });
      } else if ((a[0] ?? null) !== (b[0] ?? null)) out.push({ name: spec.name, setting, before: a[0] ?? null, after: b[0] ?? null });
    }
  }
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/**
 * The setting changes a plan shows: not those its changes already show (a create lists every setting, an import
 * shows the adoption, a field written to the marker shows as a field), and only for names still in the specs.
 */
export function unshownSettings(settings: readonly SettingChange[], changes: readonly PlanChange[]): SettingChange[] {
  const byName = new Map(changes.map((change) => [change.name, change]));
  return settings.filter((s) => {
    const change = byName.get(s.name);
    if (change === undefined) return true;
    if (change.action === "create" || change.action === "delete") return false;
    if (change.action === "import" && s.setting === "import") return false;
    if ((change.action === "update" || change.action === "import" || change.action === "replace") && (s.setting === "prevent_destroy" || s.setting === "expires")) {
      return !change.fields.some((field) => field.field === s.setting);
    }
    return true;
  });
}

/** One setting change as a plan line: `~ web: deliver + acme/site:NGROK_AUTHTOKEN`, `~ web: rotate_after 90d → 30d`. */
export function settingLine(change: SettingChange): string {
  if (change.setting === "deliver" || change.setting === "import") {
    return change.after !== null ? `~ ${change.name}: ${change.setting} + ${change.after}` : `~ ${change.name}: ${change.setting} - ${change.before ?? ""}`;
  }
  return `~ ${change.name}: ${change.setting} ${change.before ?? "(none)"} → ${change.after ?? "(none)"}`;
}

/** A target as shown: its key, and an organisation secret's visibility (widening it is a change to review). */
function deliverValue(target: CredentialSpec["deliver"][number]): string {
  const ref = deliveryTargetRef(target);
  return ref.kind === "org" ? `${ref.key} (visibility ${ref.visibility})` : ref.key;
}

/** A spec's values of one setting, as shown: [] when unset. */
export function values(spec: CredentialSpec | undefined, setting: Setting): string[] {
  // A spec that did not exist had prevent_destroy off, as a spec that leaves it out.
  if (spec === undefined) return setting === "prevent_destroy" ? ["false"] : [];
  if (setting === "deliver") return spec.deliver.map(deliverValue);
  if (setting === "import") return spec.import !== undefined ? [spec.import] : [];
  if (setting === "prevent_destroy") return [String(spec.prevent_destroy)];
  if (setting === "rotate_after") return spec.rotate_after_ms !== undefined ? [formatDuration(spec.rotate_after_ms)] : [];
  return spec.expires_ms !== undefined ? [formatInstant(spec.expires_ms)] : [];
}
