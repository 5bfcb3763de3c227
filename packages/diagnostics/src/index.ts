/**
 * `@gflow/diagnostics`.
 *
 * @packageDocumentation
 */
export {};
