/** Things to stop at the end of a benchmark section, stopped in reverse order of start. */
export class Cleanup {
  private readonly steps: (() => Promise<void>)[] = [];

  /** Registers `step` to run on {@link Cleanup.run}. */
  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  /** Runs every step, newest first; a failing step is reported and does not stop the others. */
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      await step().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
    }
  }
}
