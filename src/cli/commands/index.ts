import type { Command } from 'commander';
import { register as analyze } from './analyze.ts';
import { register as check } from './check.ts';
import { register as compare } from './compare.ts';
import { register as demo } from './demo.ts';
import { register as importCmd } from './import.ts';
import { register as inspect } from './inspect.ts';
import { register as meter } from './meter.ts';
import { register as paper } from './paper.ts';
import { register as run } from './run.ts';
import { register as sim } from './sim.ts';
import { register as whatif } from './whatif.ts';

/** Every subcommand, in the order --help lists them. */
export const COMMANDS: Array<(program: Command) => void> = [
  run,
  analyze,
  compare,
  check,
  inspect,
  meter,
  paper,
  sim,
  whatif,
  demo,
  importCmd,
];
