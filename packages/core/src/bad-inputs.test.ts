import * as core from '@gflow/core';
import { badInputSuite } from './test-utils/bad-inputs.js';

badInputSuite('@gflow/core', {
  exports: core,
  allow: {
    // error classes and the message formatter accept any value by design
    GflowError: 'constructor: any message is valid',
    InvalidArgumentError: 'constructor: any message is valid',
    ShapeError: 'constructor: any message is valid',
    NonFiniteError: 'constructor: any message is valid',
    BackendUnavailableError: 'constructor: any message is valid',
    ConvergenceError: 'constructor: any message is valid',
    UnsupportedError: 'constructor: any message is valid',
    GflowIOError: 'constructor: any message is valid',
    describeValue: 'formats any value',
  },
  // setAllocationLimit changes a global: put the default back after every call
  afterCall: () => {
    core.setAllocationLimit(core.DEFAULT_ALLOCATION_LIMIT);
  },
});
