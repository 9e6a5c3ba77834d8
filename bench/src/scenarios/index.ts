/** Every benchmark scenario, in the order `pnpm bench` runs them. */
import type { Scenario } from '../scenario.js'
import { capacity } from './capacity.js'
import { durableWrite } from './durableWrite.js'
import { fanout } from './fanout.js'
import { latency } from './latency.js'
import { memory } from './memory.js'
import { meshHeal } from './meshHeal.js'
import { subscribe } from './subscribe.js'

/** The scenarios, in run order. */
export const scenarios: readonly Scenario[] = [
  subscribe,
  latency,
  fanout,
  durableWrite,
  memory,
  meshHeal,
  capacity,
]
