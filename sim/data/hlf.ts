/**
 * HLF's shape, for the benchmark: a member register of tens of thousands of contacts of
 * whom a few hundred are likepersons, the Meander likepersons mostly the same people, and
 * a long history of activity reports. Built on the generator's own options, so the data
 * is the same generator's people at another mix.
 */
import type { DatasetOptions } from "./generator.js";

export interface HlfShape {
  /** Portal contacts in all: likepersons and ordinary members. */
  readonly contacts: number;
  /** Portal contacts with a likeperson status. */
  readonly portalLikepersons: number;
  readonly meanderLikepersons: number;
  /** Likepersons on both sides. */
  readonly overlapping: number;
  /** Activity reports in Meander. */
  readonly activities: number;
}

/** HLF as the issue describes it: 70,000 members, 600 likepersons, 550 of them also in Meander, 100,000 reports. */
export const HLF: HlfShape = { contacts: 70_000, portalLikepersons: 600, meanderLikepersons: 600, overlapping: 550, activities: 100_000 };

export function hlfDataset(shape: HlfShape, seed = 20_261_202): DatasetOptions {
  if (shape.portalLikepersons !== shape.meanderLikepersons)
    throw new RangeError("the generator splits one-sided likepersons evenly: give both sides the same count");
  const people = shape.portalLikepersons + shape.meanderLikepersons - shape.overlapping;
  return {
    seed,
    people,
    overlap: shape.overlapping / people,
    portalOnlyMembers: shape.contacts - shape.portalLikepersons,
    conflictingShare: 0.05,
    formatNoiseShare: 0.1,
    ambiguousShare: 0,
    activitiesPerPerson: shape.activities / shape.meanderLikepersons,
  };
}
