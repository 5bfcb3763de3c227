/**
 * Accepts an activation name or an activation object wherever functions take either.
 *
 * @internal
 * @module
 */
import { type Activation, type ActivationInput, activation, activationNames } from '../activations.js';
import { describeValue, InvalidArgumentError } from '../errors.js';

/** Resolves a name or an `Activation` object, or throws an InvalidArgumentError naming `fn`. */
export function resolveActivation(fn: string, a: ActivationInput): Activation {
  if (typeof a === 'string') {
    if (!(activationNames as readonly string[]).includes(a)) {
      throw new InvalidArgumentError(
        `${fn}: activation must be one of ${activationNames.join(', ')}, got ${describeValue(a)}`,
      );
    }
    return activation(a);
  }
  if (
    typeof a !== 'object' ||
    a === null ||
    typeof a.f !== 'function' ||
    typeof a.df !== 'function' ||
    !Array.isArray(a.kinks)
  ) {
    throw new InvalidArgumentError(
      `${fn}: activation must be an activation name or an object from activation(name), got ${describeValue(a)}`,
    );
  }
  return a;
}
