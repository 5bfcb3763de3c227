/** Section g-paths. */
import * as core from '@gflow/core';
import { needs, type SectionDef } from './section.js';

/** g. Paths and phases */
export const section: SectionDef = {
  id: 'g-paths',
  title: 'g. Paths and phases',
  needs: [
    ...needs(
      '@gflow/core',
      core,
      'pathLengthDistribution',
      'effectivePathContribution',
      'meanField',
      'criticalLine',
      'activation',
    ),
  ],
  steps: () => 1,
};
