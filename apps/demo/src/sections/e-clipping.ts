import * as diagnostics from '@gflow/diagnostics';
import * as models from '@gflow/models';
import { needs, type SectionDef } from './section.js';

/** e. Clipping and recovery */
export const section: SectionDef = {
  id: 'e-clipping',
  title: 'e. Clipping and recovery',
  needs: [
    ...needs('@gflow/models', models, 'vanillaRNN', 'addingProblem'),
    ...needs(
      '@gflow/diagnostics',
      diagnostics,
      'clipByGlobalNorm',
      'adaptiveGradientClip',
      'autoClip',
      'TrainingGuard',
    ),
  ],
  steps: () => 1,
};
