/** The seeded generator every gflow package shares (sfc32; see `@gflow/core/internal`). */
export { deriveSeed, Rng } from '@gflow/core/internal';
