// vitest reporter: one plain last line, `tests: N passed, N failed[, N skipped]`, counting test
// cases. A test that did not run because its suite or module failed (a beforeAll hook threw)
// counts as failed, and so does a module that failed before any test was collected (an import
// error); skip, todo and ctx.skip() count as skipped.
import type { Reporter, TestCase, TestModule } from "vitest/node";

function enclosingFailure(test: TestCase): boolean {
  for (let p = test.parent; ; p = p.parent) {
    if (p.errors().length > 0) return true;
    if (p.type === "module") return false;
  }
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      let collected = 0;
      for (const test of module.children.allTests()) {
        collected++;
        const state = test.result().state;
        const deliberate = test.options.mode === "skip" || test.options.mode === "todo";
        if (state === "passed") passed++;
        else if (state === "failed" || (!deliberate && enclosingFailure(test))) failed++;
        else skipped++;
      }
      if (collected === 0 && module.errors().length > 0) failed++;
    }
    const tail = skipped > 0 ? `, ${skipped} skipped` : "";
    process.stdout.write(`tests: ${passed} passed, ${failed} failed${tail}\n`);
  }
}
