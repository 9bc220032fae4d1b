/**
 * Drives `node bin/stack.cjs ... watch` as a child process for the watch e2e tests and the
 * bench: collects stdout/stderr, counts reload lines, waits for text, stops with SIGINT.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** A copy of a fixture directory in a fresh temp dir (tests edit their copy). */
export function copyFixture(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `stack-${name}-`));
  cpSync(join(ROOT, 'fixtures', name), dir, { recursive: true });
  return dir;
}

/** A running `stack watch`. */
export class WatchProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private exited: Promise<number | null>;

  constructor(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
    // STACK_E2E_BIN: run another build of the CLI (e.g. one with unreleased commands wired in).
    this.child = spawn(process.execPath, [process.env['STACK_E2E_BIN'] ?? join(ROOT, 'bin', 'stack.cjs'), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', CI: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  /** The reload lines printed so far (`↻ ...` or `✗ ...`). */
  reloads(): string[] {
    return this.stdout.split('\n').filter((l) => /^[↻✗] /.test(l));
  }

  /** Resolves when `predicate` holds, polling; rejects after `timeoutMs` with the output so far. */
  async until(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.child.exitCode !== null)
        throw new Error(
          `stack watch exited (${this.child.exitCode}) before ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Resolves once no new reload line appeared for `quietMs` (the previous test's reload has finished). */
  async settled(quietMs = 400, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let count = this.reloads().length;
    let since = Date.now();
    while (Date.now() - since < quietMs) {
      if (Date.now() > end) throw new Error(`reloads never settled\nstdout:\n${this.stdout}`);
      await new Promise((r) => setTimeout(r, 25));
      const now = this.reloads().length;
      if (now !== count) {
        count = now;
        since = Date.now();
      }
    }
  }

  /** Ctrl-C; resolves to the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
