/**
 * The one polling helper of the suites: retries `check` until it stops throwing and does not
 * return `false`, then returns its result; after `timeoutMs` it throws the last failure, so a
 * timed-out wait reports what was still wrong (an assertion's diff, not "timed out").
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result as Exclude<T, false>;
      last = new Error(`condition still false after ${timeoutMs} ms`);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
