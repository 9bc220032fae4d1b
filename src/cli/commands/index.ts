/** The engine commands, registered by the CLI frame (src/cli/main.ts) after the light ones. */
import { registerAttach } from './attach.js';
import { registerBuild } from './build.js';
import { registerImages, registerPort, registerRm, registerTop, registerWait } from './containers.js';
import { registerCreate, registerScale } from './create.js';
import { registerDown } from './down.js';
import { registerCp } from './cp.js';
import { registerEvents } from './events.js';
import { registerExec } from './exec.js';
import {
  registerKill,
  registerPause,
  registerRestart,
  registerStart,
  registerStop,
  registerUnpause,
} from './lifecycle.js';
import { registerLock } from './lock.js';
import { registerLogs } from './logs.js';
import { registerLs } from './ls.js';
import { registerPlan } from './plan.js';
import { registerPs } from './ps.js';
import { registerPull } from './pull.js';
import { registerRun } from './run.js';
import { registerPush } from './push.js';
import { registerStats } from './stats.js';
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
  registerAttach,
  registerRun,
  registerStart,
  registerStop,
  registerRestart,
  registerKill,
  registerPause,
  registerUnpause,
  registerRm,
  registerWait,
  registerTop,
  registerPort,
  registerImages,
  registerCreate,
  registerScale,
  registerEvents,
  registerCp,
  registerPush,
  registerStats,
  registerLs,
  registerBuild,
  registerPull,
  registerLock,
  registerWatch,
  registerViz,
  registerSchema,
];
