/**
 * The service-module warning (contract 1.1 section 2: "a warning, not an error, when a module is
 * unusual for the service type"): a record carrying a module whose usual service types
 * (`moduleServiceTypes` in fields.ts) do not include its service's type is counted, and the return
 * is accepted with one `unusual_module` warning per module, naming how many records carry it.
 */
import type { FieldProblem } from '../../lib/problem.js';
import { moduleFields, moduleServiceTypes } from '../../schema/dataset/fields.js';
import type { Locate } from './validate-return.js';

export interface ModuleCounter {
  count(record: unknown): void;
  warnings(locate: Locate): FieldProblem[];
}

/** Counts the unusual modules of a service of `serviceType` (none when the service is unknown: that is an error already). */
export function createModuleCounter(serviceType: string | undefined): ModuleCounter {
  const unusual = serviceType === undefined ? [] : moduleFields.filter((m) => !(moduleServiceTypes[m.name] ?? [serviceType]).includes(serviceType));
  const counts = new Array<number>(unusual.length).fill(0);
  return {
    count(record) {
      if (typeof record !== 'object' || record === null) return;
      unusual.forEach((module, k) => {
        const value = (record as Record<string, unknown>)[module.name];
        if (typeof value === 'object' && value !== null) counts[k]!++;
      });
    },
    warnings(locate) {
      return unusual.flatMap((module, k) =>
        counts[k]! === 0
          ? []
          : [
              {
                pointer: locate('*', `/${module.name}`),
                code: 'unusual_module',
                detail: `${counts[k]} record${counts[k] === 1 ? ' carries' : 's carry'} the ${module.name} module, unusual for a ${serviceType} service (usual for: ${moduleServiceTypes[module.name]!.join(', ')}); check the records and the service's type`,
              },
            ],
      );
    },
  };
}
