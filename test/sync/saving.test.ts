import { describe, expect, it } from "vitest";
import { SaveBehind } from "../../shared/sync/saving.js";

const later = () => {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe("saving behind", () => {
  it("returns once the save has started, and starts the next only when the one before is done", async () => {
    const saving = new SaveBehind();
    const first = later();
    const log: string[] = [];
    await saving.start(async () => {
      log.push("first started");
      await first.promise;
      log.push("first done");
    });
    expect(log).toEqual(["first started"]);
    const second = saving.start(async () => {
      log.push("second started");
    });
    await Promise.resolve();
    expect(log).toEqual(["first started"]);
    first.resolve();
    await second;
    await saving.done();
    expect(log).toEqual(["first started", "first done", "second started"]);
  });

  it("a failed save is thrown by the next start (which then does not run) and by done", async () => {
    const saving = new SaveBehind();
    const first = later();
    await saving.start(() => first.promise);
    first.reject(new Error("table down"));
    let ran = false;
    await expect(
      saving.start(async () => {
        ran = true;
      }),
    ).rejects.toThrow("table down");
    expect(ran).toBe(false);
    await expect(saving.done()).rejects.toThrow("table down");
  });
});
