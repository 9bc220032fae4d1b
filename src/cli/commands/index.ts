/** The engine commands, registered by the CLI frame (src/cli/main.ts) after the light ones. */
import { registerBuild } from './build.js';
import { registerDown } from './down.js';
import { registerExec } from './exec.js';
import { registerRestart, registerStart, registerStop } from './lifecycle.js';
import { registerLock } from './lock.js';
import { registerLogs } from './logs.js';
import { registerLs } from './ls.js';
import { registerPlan } from './plan.js';
import { registerPs } from './ps.js';
import { registerPull } from './pull.js';
import { registerRun } from './run.js';
import { registerUp } from './up.js';
import { registerWatch } from './watch.js';
import { registerViz } from './viz.js';
import { registerSchema } from './schema.js';

export const engineCommands = [
  registerUp,
  registerDown,
  registerPlan,
  registerPs,
  registerLogs,
  registerExec,
  registerRun,
  registerStart,
  registerStop,
  registerRestart,
  registerLs,
  registerBuild,
  registerPull,
  registerLock,
  registerWatch,
  registerViz,
  registerSchema,
];
