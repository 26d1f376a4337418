/** The generator's data sets (sim/data) seeded into in-memory sides: the portal's rows first, so "newest" decides for Meander's. */
import { type DatasetOptions, generateDataset } from "../../../sim/data/generator.js";
import type { MemoryEngine } from "./engine.js";

export function seedDataset(e: MemoryEngine, options: DatasetOptions): ReturnType<typeof generateDataset> {
  const dataset = generateDataset(options);
  for (const c of dataset.portal.contacts) e.portal.seed("contacts", c, String(c.contactid));
  for (const r of dataset.meander.likepersons) {
    const { externalRef: _ref, ...data } = r as Record<string, unknown>;
    e.meander.seed("likepersons", data, String(r.id));
  }
  return dataset;
}
