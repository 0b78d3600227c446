/**
 * The console's page (issue 11, SPEC §2): three static files from `console/` — the HTML, one JavaScript module and
 * one stylesheet — served by the `console` function next to its JSON API. No framework and no build step: the files
 * are copied as they are (`npm run build` copies `console/` to `build/console/`), read once when this module loads,
 * and answered from memory.
 *
 * The same relative path works from the sources (`functions/console-page.ts` → `console/`) and from the compiled
 * output (`build/functions/console-page.js` → `build/console/`). A file that is missing does not stop the function:
 * the page answers 503 in one sentence, the API keeps working.
 *
 * The function's headers (a strict CSP: scripts, styles and connections to this origin only; no framing; no-store)
 * are set by the caller before this runs; here only the content type is added.
 */
import { readFileSync } from 'node:fs';

/** Where the static files are: `console/` beside `functions/`, in the sources and in `build/` alike. */
export const CONSOLE_ASSET_DIR = new URL('../console/', import.meta.url);

/** The files the page is made of, by request path, with their content types. */
const ASSETS = [
  { paths: ['/', '/index.html'], file: 'index.html', type: 'text/html; charset=utf-8' },
  { paths: ['/app.js'], file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { paths: ['/style.css'], file: 'style.css', type: 'text/css; charset=utf-8' },
] as const;

export interface ConsoleAsset {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

type LoadedAssets = ReadonlyMap<
  string,
  { readonly file: string; readonly type: string; readonly body: Buffer | null }
>;

/** Reads every asset once; a file that cannot be read is kept as null (answered 503, never thrown at import). */
export function loadConsoleAssets(dir: URL = CONSOLE_ASSET_DIR): LoadedAssets {
  const loaded = new Map<string, { file: string; type: string; body: Buffer | null }>();
  for (const asset of ASSETS) {
    let body: Buffer | null;
    try {
      body = readFileSync(new URL(asset.file, dir));
    } catch {
      body = null;
    }
    for (const path of asset.paths) loaded.set(path, { file: asset.file, type: asset.type, body });
  }
  return loaded;
}

const assets = loadConsoleAssets();

const text = (status: number, message: string): ConsoleAsset => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: Buffer.from(`${message}\n`),
});

/**
 * The answer for a page path (anything outside `/api/`), or null when the path is not one of the page's files (the
 * caller answers its own 404). Only `GET` and `HEAD` read the page.
 */
export function consoleAsset(method: string, path: string, from: LoadedAssets = assets): ConsoleAsset | null {
  const asset = from.get(path);
  if (asset === undefined) return null;
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'GET only');
  if (asset.body === null) {
    return text(503, `The console page is not installed (${asset.file} is missing): run npm run build.`);
  }
  return { status: 200, contentType: asset.type, body: asset.body };
}

/** The parts of the framework's (Express) request and response used here. */
export interface PageRequest {
  readonly method: string;
  readonly path: string;
}
export interface PageResponse {
  status(code: number): PageResponse;
  set(field: string, value: string): PageResponse;
  send(body: Buffer): unknown;
}

/** Answers a request for one of the page's files; false when the path is not one (nothing has been sent then). */
export function serveConsolePage(req: PageRequest, res: PageResponse): boolean {
  const asset = consoleAsset(req.method, req.path);
  if (asset === null) return false;
  res.status(asset.status).set('content-type', asset.contentType);
  if (asset.status === 405) res.set('allow', 'GET, HEAD');
  // Express leaves the body out of a HEAD answer and keeps its length.
  res.send(asset.body);
  return true;
}
