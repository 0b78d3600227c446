/**
 * Sizes the edge (functions/edge.ts) and the handlers agree on, in a module of their own that imports nothing: the
 * edge guard is loaded when an instance starts, and must not pull in the handlers' schemas to learn a number.
 */

/** A Severa change notice larger than this is refused before anything else is done with it. */
export const MAX_NOTICE_BYTES = 64 * 1024;
