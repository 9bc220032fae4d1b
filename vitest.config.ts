import { defineConfig } from 'vitest/config';

// Four projects: `unit` (pure code and the CLI frame, files in parallel), and the three that
// drive a real engine one file at a time (they share one dockerd and measure nothing):
// `e2e` (the commands), `reliability` (fault proxy, crashes, races, fuzzing, data safety) and
// `swarm` (the swarm target on the cluster of scripts/swarm-cluster.sh; slower: rollouts).
const engineBound = { testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/reliability/**', 'test/swarm/**'],
        },
      },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...engineBound } },
      { test: { name: 'reliability', include: ['test/reliability/**/*.test.ts'], ...engineBound } },
      {
        test: {
          name: 'swarm',
          include: ['test/swarm/**/*.test.ts'],
          ...engineBound,
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
