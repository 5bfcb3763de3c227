import * as diagnostics from '@gflow/diagnostics';
import * as models from '@gflow/models';
import { needs, type SectionDef } from './section.js';

/** d. Architecture fixes: highway gates, pre- vs post-norm */
export const section: SectionDef = {
  id: 'd-fixes',
  title: 'd. Architecture fixes: highway gates, pre- vs post-norm',
  needs: [
    ...needs('@gflow/models', models, 'highwayMLP', 'transformerStack'),
    ...needs('@gflow/diagnostics', diagnostics, 'measureGradientFlow'),
  ],
  steps: () => 1,
};
