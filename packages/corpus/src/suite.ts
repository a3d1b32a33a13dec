/** One vector a suite did not pass, and why. */
export interface SuiteFailure {
  readonly vector: string;
  readonly reason: string;
}

/** What a conformance suite measured; `pnpm score` prints it as one JSON line. */
export interface SuiteResult {
  readonly suite: string;
  /** For suites measured once per engine (`interp`, `wasm`): which one this line is. */
  readonly engine?: string;
  readonly passed: number;
  readonly total: number;
  readonly skipped: number;
  /** Misses grouped by cause (`"verifier rejects": 12`), printed on the score line. */
  readonly tally?: Readonly<Record<string, number>>;
  readonly failures: readonly SuiteFailure[];
}

/**
 * A suite module (`test/suites/<name>.suite.ts`, compiled to `dist-test/suites/`)
 * default-exports one of these. It returns `undefined` when the corpus is absent.
 */
export type SuiteRunner = () => Promise<SuiteResult | readonly SuiteResult[] | undefined>;

/** Counts results into a {@link SuiteResult}. */
export class SuiteTally {
  readonly #failures: SuiteFailure[] = [];
  readonly #causes = new Map<string, number>();
  #passed = 0;
  #skipped = 0;

  constructor(
    readonly suite: string,
    readonly engine?: string,
  ) {}

  /** A miss with its cause counted in the result's `tally` (the cause is a short, stable label). */
  miss(vector: string, cause: string, detail = cause): void {
    this.#causes.set(cause, (this.#causes.get(cause) ?? 0) + 1);
    this.fail(vector, detail);
  }

  pass(): void {
    this.#passed++;
  }

  fail(vector: string, reason: string): void {
    this.#failures.push({ vector, reason });
  }

  skip(): void {
    this.#skipped++;
  }

  /** Runs `check`; a throw or a returned string is a failure with that reason. */
  check(vector: string, check: () => string | undefined): void {
    try {
      const problem = check();
      if (problem === undefined) this.pass();
      else this.fail(vector, problem);
    } catch (e) {
      this.fail(vector, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
  }

  result(): SuiteResult {
    return {
      suite: this.suite,
      ...(this.engine === undefined ? {} : { engine: this.engine }),
      passed: this.#passed,
      total: this.#passed + this.#failures.length,
      skipped: this.#skipped,
      ...(this.#causes.size === 0 ? {} : { tally: Object.fromEntries([...this.#causes].sort((a, b) => b[1] - a[1])) }),
      failures: [...this.#failures],
    };
  }
}
