import * as landscape from '@gflow/landscape';
import * as models from '@gflow/models';
import { needs, type SectionDef } from './section.js';

/** f. Landscape and curvature */
export const section: SectionDef = {
  id: 'f-landscape',
  title: 'f. Landscape and curvature',
  needs: [
    ...needs('@gflow/models', models, 'plainMLP', 'residualMLP'),
    ...needs(
      '@gflow/landscape',
      landscape,
      'randomDirection',
      'lossLine',
      'hessianEigenvalues',
      'hessianSpectralDensity',
    ),
  ],
  steps: () => 1,
};
