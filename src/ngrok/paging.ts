// The one paging rule for ngrok's listings: a listing that revisits a page, or goes past MAX_PAGES, does not end.

/** List pages a listing reads at most (1,000,000 credentials at 100 a page); only a misbehaving server gets here. */
export const MAX_PAGES = 10_000;

/**
 * Why a listing that has read `pages` pages must not follow `next`, or null while it may. `revisits`: `next` names a
 * page already read (the run core knows the page just read; a listing in one go knows them all).
 */
export function listingLoop(pages: number, next: string | null, revisits: boolean): string | null {
  if (next === null) return null;
  if (revisits) return `${pages} pages, next_page_uri points at a page already read`;
  if (pages >= MAX_PAGES) return `${pages} pages, next_page_uri still set`;
  return null;
}
