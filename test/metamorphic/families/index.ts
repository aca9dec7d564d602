/** The rewrite families the harness runs, in order. Add a family here (see metamorphic.test.ts). */
import type { Family } from '../family';
import { cacheArgs } from './cache-args';
import { comments } from './comments';
import { ifdef } from './ifdef';
import { lines } from './lines';
import { nullChecks } from './null-checks';
import { parens } from './parens';
import { renameFamily } from './rename';

export const FAMILIES: Family[] = [parens, cacheArgs, lines, comments, renameFamily, ifdef, nullChecks];
