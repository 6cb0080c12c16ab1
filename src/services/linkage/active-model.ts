/** The linkage model in force: the latest estimated (EM) model stored, else the default. */
import { desc } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { linkageModels } from '../../db/tables.js';
import { DEFAULT_MODEL, DEFAULT_MODEL_RECORDS } from './default-model.js';
import type { LinkageModel } from './linkage-model.js';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface ActiveModel {
  version: string;
  model: LinkageModel;
  trainedOnRecords: number;
}

export async function activeModel(db: Tx | Database): Promise<ActiveModel> {
  const [row] = await db.select().from(linkageModels).orderBy(desc(linkageModels.createdAt)).limit(1);
  return row
    ? { version: row.version, model: row.model as LinkageModel, trainedOnRecords: row.trainedOnRecords }
    : { version: DEFAULT_MODEL.version, model: DEFAULT_MODEL, trainedOnRecords: DEFAULT_MODEL_RECORDS };
}

/** The model in force and the threshold its weights are held to, for the admin route. */
export async function readLinkageModel(db: Database, settings: { threshold: number }) {
  const { version, model } = await activeModel(db);
  // The document publishes the model as an open object: its comparisons vary with the data (EM).
  return { version, threshold: settings.threshold, model: model as unknown as Record<string, unknown> };
}
