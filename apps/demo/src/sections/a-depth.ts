import * as diagnostics from '@gflow/diagnostics';
import * as models from '@gflow/models';
import { needs, type SectionDef } from './section.js';

/** a. Depth: plain vs residual conv nets */
export const section: SectionDef = {
  id: 'a-depth',
  title: 'a. Depth: plain vs residual conv nets',
  needs: [
    ...needs('@gflow/models', models, 'plainConvNet', 'residualConvNet'),
    ...needs('@gflow/diagnostics', diagnostics, 'measureGradientFlow'),
  ],
  steps: () => 1,
};
