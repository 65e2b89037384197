/**
 * The endpoint description mini-language (Twisted's "strports"):
 * `prefix:positional:key=value:...`.
 *
 * - `:` separates fields; in a field, the first `=` separates a keyword
 *   from its value, and any later `=` is part of the value
 *   (`path=a=b` gives `path` → `a=b`).
 * - `\` makes the next character literal, so `\:` and `\=` and `\\` put
 *   those characters into a value (`interface=\:\:1` is `::1`).
 * @module
 */
import { ArgTypeError } from '../validate';
import { EndpointParseError } from './errors';

/** A description split into its prefix, positional fields and keyword fields. */
export interface ParsedDescription {
  /** The endpoint type as written (compare it lower-cased: the prefix is case-insensitive). */
  readonly prefix: string;
  /** Fields without `=`, in order, after the prefix. */
  readonly args: readonly string[];
  /** `key=value` fields, keys as written (they are case-sensitive). */
  readonly kwargs: ReadonlyMap<string, string>;
}

/**
 * Split a description into prefix, positional and keyword fields, undoing
 * backslash escapes.
 *
 * @throws EndpointParseError (`ERR_ENDPOINT_SYNTAX`) for a trailing
 *   backslash, an empty keyword name or a keyword where the type belongs, (`ERR_ENDPOINT_DUPLICATE_FIELD`)
 *   for a keyword given twice. Twisted keeps the last of duplicate keywords;
 *   torsion refuses them, since one of the two is always a mistake.
 * @throws TypeError if `description` is not a string.
 */
export function parseDescription(description: string): ParsedDescription {
  if (typeof description !== 'string') {
    throw new ArgTypeError(`description must be a string, got ${description === null ? 'null' : typeof description}`);
  }
  const args: string[] = [];
  const kwargs = new Map<string, string>();
  // One field is collected as its pieces: [value] or [key, value].
  let pieces: string[] = [];
  let current = '';
  // After '=' only ':' ends a piece; after ':' (or at the start) both do.
  let equalsIsOperator = true;
  let fieldIndex = 0;

  const endField = (): void => {
    pieces.push(current);
    current = '';
    if (fieldIndex++ === 0 && pieces.length > 1) {
      throw new EndpointParseError(
        'SYNTAX',
        `The description must start with the endpoint type (e.g. 'tcp:'), not the field '${pieces[0]}='`,
        description,
      );
    }
    if (pieces.length === 1) {
      args.push(pieces[0]);
    } else {
      const [key, value] = pieces;
      if (key === '') {
        throw new EndpointParseError('SYNTAX', `A keyword field has an empty name before '='`, description);
      }
      if (kwargs.has(key)) {
        throw new EndpointParseError('DUPLICATE_FIELD', `The field '${key}' is given twice; keep one`, description, key);
      }
      kwargs.set(key, value);
    }
    pieces = [];
    equalsIsOperator = true;
  };

  for (let i = 0; i < description.length; i++) {
    const c = description[i];
    if (c === ':') {
      endField();
    } else if (c === '=' && equalsIsOperator) {
      pieces.push(current);
      current = '';
      equalsIsOperator = false;
    } else if (c === '\\') {
      i += 1;
      if (i >= description.length) {
        throw new EndpointParseError(
          'SYNTAX',
          'The description ends with a lone backslash; write \\\\ for a literal backslash',
          description,
        );
      }
      current += description[i];
    } else {
      current += c;
    }
  }
  endField();

  const [prefix, ...rest] = args;
  return { prefix, args: rest, kwargs };
}

/**
 * Quote a value for interpolation into an endpoint description: escapes
 * backslashes and colons (Twisted's `quoteStringArgument`), and also `=`,
 * so that the value stays one value even in a positional field.
 *
 * @example
 * ```ts
 * serverFromString(reactor, `tcp:8080:interface=${quoteStringArgument('::1')}`);
 * ```
 */
export function quoteStringArgument(argument: string): string {
  if (typeof argument !== 'string') throw new ArgTypeError('argument must be a string');
  return argument.replace(/[\\:=]/g, (c) => `\\${c}`);
}
