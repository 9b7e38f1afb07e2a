// The list stage: ngrok's credentials page by page into the run scratch, one persisted step per page.
import { listingLoop } from "../../ngrok/paging.js";
import { MAX_PAGE_LIMIT } from "../../ngrok/types.js";
import { LIST_UNITS_PER_CREDENTIAL } from "../cpu-units.js";
import { RunError } from "../errors.js";
import { persist, roomFor, type Invocation } from "../invocation.js";
import type { RunState } from "../state.js";

/** Reads the listing from where it stopped; false when it yielded for want of budget. */
export async function listStage(state: RunState, run: Invocation): Promise<boolean> {
  const { ports } = run;
  if (state.cursor === null) {
    await ports.scratch.clearLive();
    state.listed = 0;
    state.pages = 0;
  }
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
    state.cursor = page.next ?? "end";
    await persist(state, run);
  }
  state.stage = "plan";
  await persist(state, run);
  return true;
}
