/** Section b-activations. */
import * as core from '@gflow/core';
import * as diagnostics from '@gflow/diagnostics';
import * as models from '@gflow/models';
import { needs, type SectionDef } from './section.js';

/** b. Activations and initialization at depth 50 */
export const section: SectionDef = {
  id: 'b-activations',
  title: 'b. Activations and initialization at depth 50',
  needs: [
    ...needs('@gflow/models', models, 'plainMLP'),
    ...needs('@gflow/diagnostics', diagnostics, 'measureGradientFlow'),
    ...needs('@gflow/core', core, 'meanField', 'activation'),
  ],
  steps: () => 1,
};
