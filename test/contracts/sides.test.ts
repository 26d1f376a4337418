/** The RecordSide contract against the in-memory sides and the real adapters over the simulators. */
import { afterAll, beforeAll, describe } from "vitest";
import { kari, meanderData, portalData } from "../core/fixtures.js";
import { MemorySide } from "../support/memory/recordSide.js";
import { type Harness, startHarness } from "../sync/harness.js";
import { recordSideContract, type SideFixture } from "./recordSideContract.js";

const person = (n: number) => ({ ...kari, email: `person.${n}@example.no`, memberNumber: `${90000 + n}`, mobile: null });
const meanderNew = (n: number) => {
  const { id: _id, portalContactId: _link, ...data } = meanderData("", person(n));
  return data;
};
const portalNew = (n: number) => {
  const { contactid: _id, hlf_meanderid: _link, ...data } = portalData("", person(n));
  return data;
};

describe("RecordSide contract: in memory", () => {
  recordSideContract("meander in memory", () => {
    const side = new MemorySide({ side: "meander" });
    return {
      side,
      entity: "likepersons",
      data: meanderNew,
      emailField: "contact.email",
      linkField: "portalContactId",
      editByPerson: (id) => side.edit("likepersons", id, { chapter: `edited ${Math.random()}` }),
      deleteByPerson: (id) => side.remove("likepersons", id),
    } satisfies SideFixture;
  });
  recordSideContract("portal in memory", () => {
    const side = new MemorySide({ side: "portal", idField: "contactid" });
    return {
      side,
      entity: "contacts",
      data: portalNew,
      emailField: "emailaddress1",
      linkField: "hlf_meanderid",
      editByPerson: (id) => side.edit("contacts", id, { hlf_localchapter: `edited ${Math.random()}` }),
      deleteByPerson: (id) => side.remove("contacts", id),
    } satisfies SideFixture;
  });
});

describe("RecordSide contract: the real adapters over the simulators", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  recordSideContract("meander adapter", () => ({
    side: h.service.deps.sides.meander,
    entity: "likepersons",
    data: meanderNew,
    emailField: "contact.email",
    linkField: "portalContactId",
    editByPerson: (id) => h.meander.store.edit("likepersons", id, { chapter: `edited ${Math.random()}` }),
    deleteByPerson: (id) => h.meander.store.remove("likepersons", id),
  }));
  recordSideContract("portal adapter", () => ({
    side: h.service.deps.sides.portal,
    entity: "contacts",
    data: portalNew,
    emailField: "emailaddress1",
    linkField: "hlf_meanderid",
    editByPerson: (id) => h.dataverse.store.edit("contacts", id, { hlf_localchapter: `edited ${Math.random()}` }),
    deleteByPerson: (id) => h.dataverse.store.remove("contacts", id),
  }));
});
