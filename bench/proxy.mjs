#!/usr/bin/env node
// The engine proxy as a command, for reproducing faults by hand:
//
//   node bench/proxy.mjs --socket /tmp/p.sock [--fault 'route=GET /containers/json,action=error,status=500,times=2'] [--log]
//   DOCKER_HOST=unix:///tmp/p.sock node bin/stack.cjs -f fixtures/reliability/stack.yaml -p demo up -d
//
// --fault is repeatable; keys: method, kind, route (exact, or /regex/), writeIndex, nth, times,
// action (error|reset|stall|before|after), status, message, ms, phase, deliver. `before`/`after`
// with `kill=<pid>` SIGKILLs that pid. Ctrl-C prints the counts and exits.
import { parseArgs } from 'node:util';
import { startEngineProxy } from './lib/engine-proxy.mjs';

const { values } = parseArgs({
  options: {
    socket: { type: 'string', default: '/tmp/stack-engine-proxy.sock' },
    target: { type: 'string', default: '/var/run/docker.sock' },
    fault: { type: 'string', multiple: true, default: [] },
    log: { type: 'boolean', default: false },
  },
});

/** @param {string} spec @returns {import('./lib/engine-proxy.mjs').Fault} */
function parseFault(spec) {
  /** @type {Record<string, any>} */
  const fault = {};
  for (const part of spec.split(',')) {
    const [key, ...rest] = part.split('=');
    const value = rest.join('=');
    if (key === 'route' && value.startsWith('/') && value.endsWith('/')) fault.route = new RegExp(value.slice(1, -1));
    else if (['writeIndex', 'nth', 'times', 'status', 'ms'].includes(key ?? ''))
      fault[key ?? ''] = value === 'Infinity' ? Infinity : Number(value);
    else if (key === 'deliver') fault.deliver = value !== 'false';
    else if (key === 'kill') fault.run = () => process.kill(Number(value), 'SIGKILL');
    else fault[key ?? ''] = value;
  }
  return /** @type {any} */ (fault);
}

const proxy = await startEngineProxy({
  socketPath: values.socket,
  target: values.target,
  faults: values.fault.map(parseFault),
  onRequest: values.log
    ? (r) =>
        process.stderr.write(
          `${r.index} ${r.route}${r.writeIndex ? ` (write ${r.writeIndex})` : ''}${r.fault ? ` FAULT ${r.fault}` : ''}\n`,
        )
    : undefined,
});
process.stderr.write(`engine proxy on ${proxy.dockerHost} → ${values.target}\n`);
process.on('SIGINT', async () => {
  process.stderr.write(`\n${JSON.stringify(proxy.counts, null, 2)}\n`);
  await proxy.close();
  process.exit(0);
});
