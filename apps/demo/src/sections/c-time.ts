/** Section c-time. */
import * as core from '@gflow/core';
import * as diagnostics from '@gflow/diagnostics';
import * as models from '@gflow/models';
import { needs, type SectionDef } from './section.js';

/** c. Through time: T = 1,000 */
export const section: SectionDef = {
  id: 'c-time',
  title: 'c. Through time: T = 1,000',
  needs: [
    ...needs('@gflow/models', models, 'vanillaRNN', 'lstm', 'orthogonalRNN', 'unitaryRNN'),
    ...needs('@gflow/diagnostics', diagnostics, 'measureGradientFlow'),
    ...needs('@gflow/core', core, 'memorySpan'),
  ],
  steps: () => 1,
};
