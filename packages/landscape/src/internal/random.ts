/**
 * The seeded generator every gflow package shares (sfc32; see `@gflow/core/internal`), under the
 * name landscape's modules use: directions and probe vectors, the same numbers on every engine.
 */
export { Rng as Random } from '@gflow/core/internal';
