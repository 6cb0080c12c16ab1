/** A record as linkage sees it: an id, its linkage tokens and the attributes compared beside them. */
import type { LinkageAttributes } from './comparison-levels.js';
import type { LinkageTokens } from './tokens.js';

export interface LinkageRecord {
  /** Unique record id. */
  id: number;
  tokens: LinkageTokens;
  /**
   * The person's recorded attributes (code-list values) and the area of the receiving service,
   * compared exact / different / missing on top of the tokens; null or absent is not known (map
   * not_known and prefer_not_to_say to null). Records without them link exactly as before
   * attributes existed.
   */
  attributes?: LinkageAttributes;
}
