/**
 * The official API descriptions as validators: Severa's OpenAPI 3.0 document and Google Calendar's v3 discovery
 * document (../shared/contracts/, or CONTRACTS_DIR). Both are turned into JSON Schema for Ajv:
 * - OpenAPI 3.0 `nullable: true` becomes a `null` alternative; `$ref`s point into one definitions table;
 * - discovery schemas reference each other by bare id (`"$ref": "EventDateTime"`); their `format`s (int64 as
 *   string, …) are Google's own, accepted as annotations.
 * Unknown properties are allowed on both sides: real responses carry fields newer than a document's revision.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

// ajv-formats is CommonJS: its default export is the plugin.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const repoRoot = join(import.meta.dirname, '..', '..');
export const CONTRACTS_DIR = process.env.CONTRACTS_DIR ?? join(repoRoot, '..', 'shared', 'contracts');
const SEVERA_FILE = 'severa-openapi-v1.sync-subset.yaml';
const GOOGLE_FILE = 'google-calendar-v3-discovery.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** OpenAPI 3.0 schema → JSON Schema (draft-07). */
function fromOpenApi(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(fromOpenApi);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key.startsWith('x-')) continue;
    if (key === '$ref' && typeof value === 'string')
      out.$ref = value.replace('#/components/schemas/', '#/definitions/');
    else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromOpenApi(v)]));
    } else out[key] = fromOpenApi(value);
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/** Discovery schema → JSON Schema (draft-07). */
function fromDiscovery(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(fromDiscovery);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'id' || key === 'annotations' || key === 'description') continue;
    if (key === 'type' && value === 'any') continue; // discovery's "any": no constraint
    if (key === '$ref' && typeof value === 'string') out.$ref = `#/definitions/${value}`;
    else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromDiscovery(v)]));
    } else out[key] = fromDiscovery(value);
  }
  return out;
}

/**
 * Two places where Severa's generated document contradicts Severa's own guide and RFC 6902 (severa-api.md §3): the
 * JSON Patch `op` is spelled in PascalCase (the .NET enum names) while the guide sends `"replace"`, and `value` is
 * typed as a string while it carries any JSON value (`/isAllDay` true, `/activityType` {guid}). Both casings of `op`
 * and any `value` are accepted; everything else is checked as written.
 */
function relaxSevera(defs: Record<string, Json>): Record<string, Json> {
  const opType = defs.PatchOperationType;
  if (isObject(opType) && Array.isArray(opType.enum)) {
    const names = opType.enum.filter((v): v is string => typeof v === 'string');
    defs.PatchOperationType = { ...opType, enum: [...names, ...names.map((n) => n.toLowerCase())] };
  }
  const op = defs.PatchOperation;
  if (isObject(op) && isObject(op.properties)) {
    defs.PatchOperation = { ...op, properties: { ...op.properties, value: {} } };
  }
  return defs;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // Numeric and Google-specific formats are annotations here (the type check still applies).
  for (const format of ['int32', 'int64', 'uint32', 'uint64', 'double', 'float', 'byte', 'google-datetime']) {
    ajv.addFormat(format, true);
  }
  return ajv;
}

export interface Operation {
  readonly requestSchema: Json | null;
  /** By status code ("200", "201", "default", …). */
  readonly responses: Readonly<Record<string, Json | null>>;
}

export interface Contracts {
  /** Severa operation by method and path pattern as in the document (`/v1/activities/{guid}`). */
  severaOperation(method: string, pattern: string): Operation | null;
  /** Google method by HTTP method and path below `calendar/v3/` (`calendars/{calendarId}/events`). */
  googleOperation(method: string, pattern: string): Operation | null;
  /** Validates a value against a schema taken from one of the two documents. */
  validate(side: 'severa' | 'google', schema: Json, value: unknown): readonly string[];
  /** A named schema (`ActivityModel`, `Event`, …) as a `$ref` schema. */
  ref(side: 'severa' | 'google', name: string): Json;
}

/** Loads both documents, or null when they are absent (the suites then report "skipped: contracts not found"). */
export function loadContracts(dir: string = CONTRACTS_DIR): Contracts | null {
  if (!existsSync(join(dir, SEVERA_FILE)) || !existsSync(join(dir, GOOGLE_FILE))) return null;
  const openapi = parseYaml(readFileSync(join(dir, SEVERA_FILE), 'utf8')) as JsonObject;
  const discovery = JSON.parse(readFileSync(join(dir, GOOGLE_FILE), 'utf8')) as JsonObject;

  const components = isObject(openapi.components) ? openapi.components : {};
  const severaDefs = isObject(components.schemas) ? components.schemas : {};
  const googleDefs = isObject(discovery.schemas) ? discovery.schemas : {};
  const definitions = {
    severa: relaxSevera(Object.fromEntries(Object.entries(severaDefs).map(([k, v]) => [k, fromOpenApi(v)]))),
    google: Object.fromEntries(Object.entries(googleDefs).map(([k, v]) => [k, fromDiscovery(v)])),
  };
  const ajv = newAjv();
  const compiled = new Map<string, ValidateFunction>();

  const jsonBody = (content: Json | undefined): Json | null => {
    if (!isObject(content)) return null;
    const media = content['application/json'] ?? content['text/json'] ?? Object.values(content)[0];
    return isObject(media) && media.schema !== undefined ? fromOpenApi(media.schema) : null;
  };

  const paths = isObject(openapi.paths) ? openapi.paths : {};
  const severaOperation = (method: string, pattern: string): Operation | null => {
    const path = paths[pattern];
    const op = isObject(path) ? path[method.toLowerCase()] : undefined;
    if (!isObject(op)) return null;
    const requestBody = isObject(op.requestBody) ? jsonBody(op.requestBody.content) : null;
    const responses: Record<string, Json | null> = {};
    if (isObject(op.responses)) {
      for (const [status, response] of Object.entries(op.responses)) {
        responses[status] = isObject(response) ? jsonBody(response.content) : null;
      }
    }
    return { requestSchema: requestBody, responses };
  };

  const methods: JsonObject[] = [];
  const collect = (resources: Json | undefined) => {
    if (!isObject(resources)) return;
    for (const resource of Object.values(resources)) {
      if (!isObject(resource)) continue;
      if (isObject(resource.methods))
        for (const m of Object.values(resource.methods)) if (isObject(m)) methods.push(m);
      collect(resource.resources);
    }
  };
  collect(discovery.resources);
  const googleOperation = (method: string, pattern: string): Operation | null => {
    const m = methods.find((x) => x.httpMethod === method && x.path === pattern);
    if (!m) return null;
    const ref = (v: Json | undefined) =>
      isObject(v) && typeof v.$ref === 'string' ? { $ref: `#/definitions/${v.$ref}` } : null;
    const response = ref(m.response);
    return { requestSchema: ref(m.request), responses: response ? { '200': response } : {} };
  };

  const validate = (side: 'severa' | 'google', schema: Json, value: unknown): readonly string[] => {
    const key = `${side}:${JSON.stringify(schema)}`;
    let fn = compiled.get(key);
    if (!fn) {
      fn = ajv.compile({
        definitions: definitions[side],
        ...(isObject(schema) ? schema : { allOf: [schema] }),
      });
      compiled.set(key, fn);
    }
    return fn(value) ? [] : (fn.errors ?? []).map(describe);
  };

  return {
    severaOperation,
    googleOperation,
    validate,
    ref: (_side, name) => ({ $ref: `#/definitions/${name}` }),
  };
}

function describe(error: ErrorObject): string {
  return `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}${
    Object.keys(error.params).length > 0 ? ` ${JSON.stringify(error.params)}` : ''
  }`;
}

/** A simulator response as logged (see test/sim/common/response-log.ts). */
export interface LoggedResponse {
  readonly sim: 'severa' | 'calendar';
  readonly routeKey: string;
  readonly status: number;
  readonly responseBody: unknown;
  /** Set on entries recorded from the production adapters' sessions (test/support/live-org.ts). */
  readonly client?: boolean;
  readonly requestBody?: unknown;
}

/**
 * Validates logged simulator responses against the documents: Severa bodies against the operation's schema for
 * the status (errors against `ExceptionModel`, severa-api.md §4); Google bodies of successful calls against the
 * method's `response` schema. Not counted: control-surface routes, unmatched routes, bodiless responses, Google
 * errors and the OAuth token endpoint (neither is described by the discovery document).
 */
export function validateResponses(
  contracts: Contracts,
  entries: readonly LoggedResponse[],
): { validated: number; mismatches: string[] } {
  let validated = 0;
  const mismatches: string[] = [];
  const exceptionModel = contracts.ref('severa', 'ExceptionModel');
  for (const entry of entries) {
    const [method = '', pattern = ''] = entry.routeKey.split(' ');
    if (entry.responseBody === undefined || pattern === '*' || pattern.startsWith('/_sim')) continue;
    const label = `${entry.sim} ${entry.routeKey} ${entry.status}`;
    let schema: Json | null | undefined;
    let side: 'severa' | 'google';
    if (entry.sim === 'severa') {
      side = 'severa';
      if (entry.status >= 400) schema = exceptionModel;
      else {
        const op = contracts.severaOperation(method, pattern);
        if (op === null) {
          mismatches.push(`${label}: not a documented operation`);
          continue;
        }
        schema = op.responses[String(entry.status)] ?? op.responses.default;
        if (schema === undefined || schema === null) {
          mismatches.push(`${label}: the document describes no body for this status`);
          continue;
        }
      }
    } else {
      side = 'google';
      if (!pattern.startsWith('/calendar/v3/') || entry.status >= 400) continue;
      const op = contracts.googleOperation(method, pattern.slice('/calendar/v3/'.length));
      if (op === null) {
        mismatches.push(`${label}: not a documented method`);
        continue;
      }
      schema = op.responses['200'];
      if (schema === undefined || schema === null) continue;
    }
    validated += 1;
    for (const problem of contracts.validate(side, schema, entry.responseBody))
      mismatches.push(`${label}: ${problem}`);
  }
  return { validated, mismatches };
}

/**
 * Validates the request bodies the production adapters sent in recorded sessions against the documented operation
 * of each route: Severa's OpenAPI request schemas, Google's discovery `request` schemas. Only entries marked
 * `client` count (tests of the simulators send invalid bodies on purpose); token endpoints are not counted.
 */
export function validateRequests(
  contracts: Contracts,
  entries: readonly LoggedResponse[],
): { validated: number; mismatches: string[]; operations: Set<string> } {
  let validated = 0;
  const mismatches: string[] = [];
  const operations = new Set<string>();
  for (const entry of entries) {
    if (entry.client !== true || entry.requestBody === undefined) continue;
    const [method = '', pattern = ''] = entry.routeKey.split(' ');
    if (pattern === '*' || pattern.startsWith('/_sim') || /token$/.test(pattern)) continue;
    const side = entry.sim === 'severa' ? 'severa' : 'google';
    const op =
      side === 'severa'
        ? contracts.severaOperation(method, pattern)
        : contracts.googleOperation(method, pattern.replace(/^\/calendar\/v3\//, ''));
    if (op === null) {
      mismatches.push(`${entry.routeKey}: not a documented operation`);
      continue;
    }
    if (!op.requestSchema) continue;
    validated += 1;
    operations.add(entry.routeKey);
    for (const problem of contracts.validate(side, op.requestSchema, entry.requestBody)) {
      mismatches.push(`${entry.routeKey}: ${problem}`);
    }
  }
  return { validated, mismatches, operations };
}
