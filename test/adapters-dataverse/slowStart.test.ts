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
