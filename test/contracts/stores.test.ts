/** The store contracts against the in-memory stores and the Table Storage adapters on Azurite. */
import { describe } from "vitest";
import { MemoryLockStore, MemoryRunStore, MemoryStateStore } from "../support/memory/stores.js";
import { freshTables, manualClock } from "../tables/helpers.js";
import { storesContract } from "./storesContract.js";

describe("store contracts: in memory", () => {
  storesContract("memory", async () => {
    const clock = manualClock();
    return { state: new MemoryStateStore(), runs: new MemoryRunStore(), locks: new MemoryLockStore(clock), advance: clock.advance };
  });
});

describe("store contracts: Table Storage on Azurite", () => {
  storesContract("tables", async () => {
    const clock = manualClock();
    const tables = await freshTables({ clock });
    return { state: tables.state, runs: tables.runs, locks: tables.locks, advance: clock.advance };
  });
});
