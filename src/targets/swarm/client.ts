/**
 * The engine as the swarm target uses it: the Engine calls (networks) and the Swarm calls, on
 * one connection made by connectEngine.
 */
import type { Engine, SwarmEngine } from '../../engine/types.js';

/** An engine with its Swarm calls. */
export type SwarmClient = Engine & SwarmEngine;
