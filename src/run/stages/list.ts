// The list stage: ngrok's credentials, then each other kind the run lists (state.lists), page by page into the run scratch, one persisted step per page.
import { KINDS } from "../../kinds/records.js";
import { listingLoop } from "../../ngrok/paging.js";
import { RunError } from "../errors.js";
import { persist, roomFor, type Invocation } from "../invocation.js";
import type { LiveItem } from "../ports.js";
import type { RunState } from "../state.js";

/** One page of list `at` (0: credentials, then state.lists in order). */
async function pageOf(state: RunState, run: Invocation, at: number): Promise<{ items: LiveItem[]; next: string | null }> {
  if (at === 0) {
    const page = await run.ports.ngrok.listPage(state.cursor);
    return { items: page.credentials, next: page.next };
  }
  const list = state.lists?.[at - 1];
  const kind = KINDS.find((k) => k.list === list);
  const { resources } = run.ports;
  if (!kind || list === undefined || !resources) throw new RunError("RUN_INTERNAL", `internal: no way to list ${list ?? "list " + at}`);
  const page = await resources.listPage(kind, state.cursor);
  return { items: page.items.map((item) => ({ ...item, list })), next: page.next };
}

/** Reads the listing from where it stopped; false when it yielded for want of budget. */
export async function listStage(state: RunState, run: Invocation): Promise<boolean> {
  const { ports } = run;
  // A round's listing starts afresh; a list added by the plan stage (state.listing > 0) adds to what is listed.
  if (state.cursor === null && (state.listing ?? 0) === 0) {
    await ports.scratch.clearLive();
    state.listed = 0;
    state.pages = 0;
  }
  while (state.cursor !== "end") {
    if (!roomFor(run, 1)) return false;
    const at = state.listing ?? 0;
    const page = await pageOf(state, run, at);
    state.pages = (state.pages ?? 0) + 1;
    await ports.scratch.addLive(page.items);
    // Pages are disjoint (before_id paging): one that adds no credential to those listed is a page read before. The
    // count is the persisted one, so a page read again after a stop that lost its step counts as new.
    const listed = await ports.scratch.liveCount();
    const loop = listingLoop(state.pages, page.next, page.next === state.cursor || (page.items.length > 0 && listed === state.listed));
    if (loop !== null) throw new RunError("RUN_PAGING_LOOP", `ngrok's listing does not end (${loop})`);
    state.listed = listed;
    if (page.next !== null) state.cursor = page.next;
    else if (at < (state.lists?.length ?? 0)) {
      state.listing = at + 1;
      state.cursor = null;
    } else state.cursor = "end";
    await persist(state, run);
  }
  state.stage = "plan";
  await persist(state, run);
  return true;
}
