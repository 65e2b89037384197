/**
 * A protocol on this process's own stdin/stdout (`torsion/stdio`,
 * Twisted's `twisted.internet.stdio`).
 * @module torsion/stdio
 */
export { StandardIO, type StandardIOOptions } from './standard-io';
