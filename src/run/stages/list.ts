// The list stage: ngrok's credentials page by page into the run scratch, one persisted step per page.
import { listingLoop } from "../../ngrok/paging.js";
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
    if (!roomFor(run, 1)) return false;
    const page = await ports.ngrok.listPage(state.cursor);
    state.pages = (state.pages ?? 0) + 1;
    const loop = listingLoop(state.pages, page.next, page.next === state.cursor);
    if (loop !== null) throw new RunError("RUN_PAGING_LOOP", `ngrok's listing does not end (${loop})`);
    await ports.scratch.addLive(page.credentials);
    state.listed += page.credentials.length;
    state.cursor = page.next ?? "end";
    await persist(state, run);
  }
  state.stage = "plan";
  await persist(state, run);
  return true;
}
