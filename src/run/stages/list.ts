// The list stage: ngrok's credentials page by page into the run scratch, then each other kind the run lists (state.lists) into its own part of the scratch, one persisted step per page.
import { KINDS } from "../../kinds/records.js";
import { listingLoop } from "../../ngrok/paging.js";
import { MAX_PAGE_LIMIT } from "../../ngrok/types.js";
import { LIST_UNITS_PER_CREDENTIAL } from "../cpu-units.js";
import { RunError } from "../errors.js";
import { persist, roomFor, type Invocation } from "../invocation.js";
import type { RunState } from "../state.js";

/** Reads the listing from where it stopped; false when it yielded for want of budget. */
export async function listStage(state: RunState, run: Invocation): Promise<boolean> {
  const { ports } = run;
  // A round's listing starts afresh; a list the plan stage added (state.listing > 0) adds to what is listed.
  if (state.cursor === null && (state.listing ?? 0) === 0) {
    await ports.scratch.clearLive();
    state.listed = 0;
    state.pages = 0;
    await ports.scratch.clearKindLive();
    delete state.kindListed;
  }
  if ((state.listing ?? 0) > 0) return listKinds(state, run);
  while (state.cursor !== "end") {
    if (!roomFor(run, 1) || !ports.budget.affords(MAX_PAGE_LIMIT * LIST_UNITS_PER_CREDENTIAL)) return false;
    const page = await ports.ngrok.listPage(state.cursor);
    ports.budget.spend(page.credentials.length * LIST_UNITS_PER_CREDENTIAL);
    state.pages = (state.pages ?? 0) + 1;
    await ports.scratch.addLive(page.credentials);
    // Pages are disjoint (before_id paging): one that adds no credential to those listed is a page read before. The
    // count is the persisted one, so a page read again after a stop that lost its step counts as new.
    const listed = await ports.scratch.liveCount();
    const loop = listingLoop(state.pages, page.next, page.next === state.cursor || (page.credentials.length > 0 && listed === state.listed));
    if (loop !== null) throw new RunError("RUN_PAGING_LOOP", `ngrok's listing does not end (${loop})`);
    state.listed = listed;
    if (page.next !== null) state.cursor = page.next;
    else if ((state.lists?.length ?? 0) > 0) {
      state.listing = 1;
      state.cursor = null;
      await persist(state, run);
      return listKinds(state, run);
    } else state.cursor = "end";
    await persist(state, run);
  }
  state.stage = "plan";
  await persist(state, run);
  return true;
}

/** The other kinds' pages, list by list (state.listing: 1 is state.lists[0]), through the same paging rule and budget. */
async function listKinds(state: RunState, run: Invocation): Promise<boolean> {
  const { resources } = run.ports;
  while (state.cursor !== "end") {
    const at = state.listing ?? 1;
    const list = state.lists?.[at - 1];
    const kind = KINDS.find((k) => k.list === list);
    if (!kind || list === undefined || !resources) throw new RunError("RUN_INTERNAL", `internal: no way to list ${list ?? `list ${at}`}`);
    if (!roomFor(run, 1) || !run.ports.budget.affords(MAX_PAGE_LIMIT * LIST_UNITS_PER_CREDENTIAL)) return false;
    const page = await resources.listPage(kind, state.cursor);
    run.ports.budget.spend(page.items.length * LIST_UNITS_PER_CREDENTIAL);
    state.pages = (state.pages ?? 0) + 1;
    await run.ports.scratch.addKindLive(list, page.items);
    // As the credentials': a page that adds none to the count persisted with the state was read before.
    let listed = 0;
    for (const read of state.lists?.slice(0, at) ?? []) listed += await run.ports.scratch.kindLiveCount(read);
    const loop = listingLoop(state.pages, page.next, page.next === state.cursor || (page.items.length > 0 && listed === (state.kindListed ?? 0)));
    if (loop !== null) throw new RunError("RUN_PAGING_LOOP", `ngrok's listing of ${list} does not end (${loop})`);
    state.kindListed = listed;
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
