/**
 * Deleting linked records, for erasure of a referral and for retention: the records leave their
 * persons (victims' and perpetrators'), the caller deletes them, and what is left of those persons
 * is matched again without them. One sequence for both, so neither can forget a kind of person.
 */
import type { Database } from '../../db/connect.js';
import { linkPerpetratorsAfterErasure, preparePerpetratorErasure } from './perpetrator-linkage.js';
import { prepareErasure, relinkAfterErasure, type LinkageSettings } from './relink.js';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Ids a preparing query names at a time: one bound parameter each, and a statement takes at most 65,535. */
const ERASURE_CHUNK = 10_000;

/**
 * `remove` deletes the records (and whatever goes with them); `exact`: keep the term frequencies
 * exact by taking the records' tokens out, else drop them for the next full relink (a linkage run
 * still to come for their return would count it as it finds it).
 */
export async function eraseLinkedRecords(tx: Tx, params: { ids: number[]; exact: boolean; settings: LinkageSettings; remove: () => Promise<void> }) {
  const victims: Awaited<ReturnType<typeof prepareErasure>> = { formerPersons: [], removed: [] };
  const perpetrators: Awaited<ReturnType<typeof preparePerpetratorErasure>> = { formerPersons: [], removed: [] };
  // At least once, with no ids too: preparing takes the linkage lock the relink below needs.
  for (let i = 0; i === 0 || i < params.ids.length; i += ERASURE_CHUNK) {
    const chunk = params.ids.slice(i, i + ERASURE_CHUNK);
    const v = await prepareErasure(tx, chunk);
    const p = await preparePerpetratorErasure(tx, chunk);
    victims.formerPersons.push(...v.formerPersons);
    victims.removed.push(...v.removed);
    perpetrators.formerPersons.push(...p.formerPersons);
    perpetrators.removed.push(...p.removed);
  }
  await params.remove();
  const relinked = await relinkAfterErasure(tx, {
    formerPersons: victims.formerPersons,
    removed: params.exact ? victims.removed : null,
    settings: params.settings,
  });
  await linkPerpetratorsAfterErasure(tx, {
    formerPersons: perpetrators.formerPersons,
    removed: params.exact ? perpetrators.removed : null,
    settings: params.settings,
  });
  return relinked;
}
