/**
 * `@gflow/landscape`.
 *
 * @packageDocumentation
 */
export {};
