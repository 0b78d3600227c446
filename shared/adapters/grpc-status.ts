/**
 * gRPC status codes (google.rpc.Code) as the Google Cloud client libraries report them in `error.code`, for the
 * adapters' error mapping. `@grpc/grpc-js` is not a runtime dependency, so the numbers live here.
 */
export const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
export type GrpcStatusName = (typeof GRPC_STATUS_NAMES)[number];

export const GRPC = Object.fromEntries(GRPC_STATUS_NAMES.map((name, code) => [name, code])) as {
  readonly [K in GrpcStatusName]: number;
};

/** The numeric gRPC status of a client error, or null for anything else. */
export function grpcCode(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : null;
}

/** The status name of a client error (e.g. `NOT_FOUND`), its class name when it has no status. */
export function grpcStatusName(error: unknown): string {
  const code = grpcCode(error);
  if (code === null) return error instanceof Error ? error.name : 'error';
  return GRPC_STATUS_NAMES[code] ?? `code ${code}`;
}
