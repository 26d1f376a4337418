import { describe, expect, it } from "vitest";
import { SlowStart } from "../../shared/adapters/dataverse/slowStart.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("SlowStart", () => {
  it("lets one request out first, doubles with each success up to the maximum, and drops to one after a 429", async () => {
    const slow = new SlowStart(8);
    await slow.acquire();
    let second = false;
    void slow.acquire().then(() => {
      second = true;
    });
    await tick();
    expect(second).toBe(false);
    slow.release("ok");
    await tick();
    expect(second).toBe(true);
    expect(slow.inFlightLimit).toBe(2);
    slow.release("ok");
    for (let i = 0; i < 3; i++) {
      await slow.acquire();
      slow.release("ok");
    }
    expect(slow.inFlightLimit).toBe(8);
    await slow.acquire();
    slow.release("throttled");
    expect(slow.inFlightLimit).toBe(1);
    await slow.acquire();
    slow.release("failed");
    expect(slow.inFlightLimit).toBe(1);
    // A throttled part inside an answered batch: the call was "ok", the environment still said wait.
    for (let i = 0; i < 3; i++) {
      await slow.acquire();
      slow.release("ok");
    }
    expect(slow.inFlightLimit).toBe(8);
    slow.throttle();
    expect(slow.inFlightLimit).toBe(1);
  });

  it("follows a cap that moves while requests are out: lowered, nothing new goes out until fewer are in flight; raised, it grows back", async () => {
    let cap = 8;
    const slow = new SlowStart(() => cap);
    for (let i = 0; i < 3; i++) {
      await slow.acquire();
      slow.release("ok");
    }
    expect(slow.inFlightLimit).toBe(8);
    const out: number[] = [];
    const started = Array.from({ length: 8 }, (_, i) => slow.acquire().then(() => out.push(i)));
    await tick();
    expect(out).toHaveLength(8);
    cap = 2;
    const late = [slow.acquire().then(() => out.push(8)), slow.acquire().then(() => out.push(9))];
    await tick();
    expect(out).toHaveLength(8);
    // Six answers come back: still 2 in flight, so neither late request may go.
    for (let i = 0; i < 6; i++) slow.release("ok");
    await tick();
    expect(out).toHaveLength(8);
    slow.release("ok");
    await tick();
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(slow.inFlightLimit).toBe(2);
    cap = 6;
    slow.release("ok");
    slow.release("ok");
    await Promise.all([...started, ...late]);
    expect(slow.inFlightLimit).toBe(6);
    slow.release("ok");
  });

  it("starts over at one after a quiet spell", async () => {
    let clock = 0;
    const slow = new SlowStart(8, 30_000, () => clock);
    for (let i = 0; i < 4; i++) {
      await slow.acquire();
      slow.release("ok");
    }
    expect(slow.inFlightLimit).toBe(8);
    clock += 31_000;
    await slow.acquire();
    expect(slow.inFlightLimit).toBe(1);
  });
});
