import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure code and the CLI frame, files in parallel), and the two that
// drive the real engine one file at a time (they share one dockerd and measure nothing):
// `e2e` (the commands) and `reliability` (fault proxy, crashes, races, fuzzing, data safety).
const engineBound = { testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false };

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**', 'test/reliability/**'] } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...engineBound } },
      { test: { name: 'reliability', include: ['test/reliability/**/*.test.ts'], ...engineBound } },
    ],
  },
});
