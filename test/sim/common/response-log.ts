/**
 * Every response a simulator sends can be reported here, so the contract suite (`npm run test:contracts`) validates
 * the bodies against the official schemas of the operation that produced them.
 */
export interface ResponseLogEntry {
  readonly sim: 'severa' | 'calendar';
  /** `"<METHOD> <route pattern>"`, e.g. `"GET /v1/activities/{guid}"`. */
  readonly routeKey: string;
  readonly status: number;
  /** Parsed JSON request body, or undefined. */
  readonly requestBody: unknown;
  /** The JSON response body, or undefined when there is none. */
  readonly responseBody: unknown;
}

export type ResponseHook = (entry: ResponseLogEntry) => void;
