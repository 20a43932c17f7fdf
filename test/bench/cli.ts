// What both benchmarks' entry points share: BENCH_* variables, progress lines, scheduling
// priority, and the command line that reproduces a run.
import { setPriority } from "node:os";

/** A numeric BENCH_* variable, or its default. */
export const env = (name: string, fallback: number): number =>
  Number(process.env[name] ?? fallback);

/** BENCH_TARGETS, e.g. "a,c": the labels "(a) ...", "(c) ..." only; undefined: all. */
export const only = (): string[] | undefined => process.env.BENCH_TARGETS?.split(",");

export const say = (text: string): boolean => process.stdout.write(`${text}\n`);

// Scheduling priority of the bench's processes; as root, e.g. -10 puts them ahead of other work.
export const NICE = env("BENCH_NICE", 0);

export function prioritize(pid: number | undefined): void {
  if (pid === undefined || NICE === 0) return;
  try {
    setPriority(pid, NICE);
  } catch (err) {
    say(`cannot set priority ${NICE} on pid ${pid} (${(err as Error).message}): figures vary more`);
  }
}

/** `npm run <script>` with the BENCH_* variables of this run. */
export function commandLine(script: string): string {
  const vars = Object.entries(process.env)
    .filter(([k]) => k.startsWith("BENCH_"))
    .map(([k, v]) => `${k}=${v} `)
    .join("");
  return `${vars}npm run ${script}`;
}

/** Runs the entry point; exits 0, or 1 with the error. */
export function run(main: () => Promise<void>, name: string): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${name} failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
