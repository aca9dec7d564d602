/** The rewrite families the harness runs, in order. Add a family here (see metamorphic.test.ts). */
import type { Family } from '../family';
import { cacheArgs } from './cache-args';
import { combined } from './combined';
import { comments } from './comments';
import { gfpHelpers } from './gfp-helpers';
import { guards } from './guard';
import { ifdef } from './ifdef';
import { lines } from './lines';
import { macros } from './macros';
import { moveHelper } from './move-helper';
import { nullChecks } from './null-checks';
import { parens } from './parens';
import { renameFamily } from './rename';
import { trylock } from './trylock';

export const FAMILIES: Family[] = [parens, cacheArgs, lines, comments, renameFamily, moveHelper, ifdef, trylock, nullChecks, gfpHelpers, guards, macros, combined];
