/**
 * `@gflow/models`: the Module protocol and the networks of the gradient-flow literature.
 *
 * @packageDocumentation
 */

export type { Context, Module, Parameter, ParameterRole } from './module.js';
export { identityContext } from './module.js';
