/** What each file measured, written to test-results/resilience/ for docs/reliability.md. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CaseFigures {
  ok: boolean;
  duplicates?: number;
  lostEdits?: number;
  dropped?: number;
  retryAfterViolations?: number;
  leakedCanaries?: number;
  fiveHundreds?: number;
  [figure: string]: number | boolean | string | undefined;
}

export class Summary {
  private readonly cases: { class: string; name: string; figures: CaseFigures }[] = [];
  constructor(
    private readonly file: string,
    readonly seed: number,
  ) {}

  add(klass: string, name: string, figures: CaseFigures): void {
    this.cases.push({ class: klass, name, figures });
  }

  /** test-results/resilience/<file>.json: what docs/reliability.md is filled from. */
  write(): void {
    const dir = join(process.cwd(), "test-results", "resilience");
    mkdirSync(dir, { recursive: true });
    const classes: Record<string, { cases: number; ok: number; totals: Record<string, number> }> = {};
    for (const c of this.cases) {
      const k = classes[c.class] ?? { cases: 0, ok: 0, totals: {} };
      classes[c.class] = k;
      k.cases += 1;
      if (c.figures.ok) k.ok += 1;
      for (const [name, value] of Object.entries(c.figures)) if (typeof value === "number") k.totals[name] = (k.totals[name] ?? 0) + value;
    }
    const summary = { file: this.file, seed: this.seed, at: new Date().toISOString(), classes, cases: this.cases };
    writeFileSync(join(dir, `${this.file.replace(/\.test\.ts$/, "")}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    console.info(`[resilience] ${this.file}: ${JSON.stringify(classes)}`);
  }
}
