/** The engine commands, registered by the CLI frame (src/cli/main.ts) after the light ones. */
import { registerDown } from './down.js';
import { registerExec } from './exec.js';
import { registerRestart, registerStart, registerStop } from './lifecycle.js';
import { registerLogs } from './logs.js';
import { registerLs } from './ls.js';
import { registerPlan } from './plan.js';
import { registerPs } from './ps.js';
import { registerUp } from './up.js';

export const engineCommands = [registerUp, registerDown, registerPlan, registerPs, registerLogs, registerExec, registerStart, registerStop, registerRestart, registerLs];
