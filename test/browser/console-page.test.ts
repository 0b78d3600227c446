/**
 * The console page's files as the `console` function serves them (functions/console-page.ts), without a browser:
 * the right content types, only GET and HEAD, and nothing in them that the function's CSP would block or that loads
 * from another origin (no inline script or style, no eval, no absolute URL).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import {
  CONSOLE_ASSET_DIR,
  consoleAsset,
  loadConsoleAssets,
  serveConsolePage,
  type PageResponse,
} from '../../functions/console-page.js';

const file = (name: string) => readFileSync(new URL(name, CONSOLE_ASSET_DIR), 'utf8');

describe('console page files', () => {
  it('answers the page, its script and its stylesheet with their content types', () => {
    const cases = [
      ['/', 'text/html; charset=utf-8', 'index.html'],
      ['/index.html', 'text/html; charset=utf-8', 'index.html'],
      ['/app.js', 'text/javascript; charset=utf-8', 'app.js'],
      ['/style.css', 'text/css; charset=utf-8', 'style.css'],
    ] as const;
    for (const [path, type, name] of cases) {
      const asset = consoleAsset('GET', path);
      assert.ok(asset, path);
      assert.equal(asset.status, 200, path);
      assert.equal(asset.contentType, type, path);
      assert.equal(asset.body.toString('utf8'), file(name), path);
      assert.equal(consoleAsset('HEAD', path)?.status, 200, `HEAD ${path}`);
    }
  });

  it('leaves other paths to the caller and refuses other methods', () => {
    for (const path of ['/favicon.ico', '/console/', '/../package.json', '/app.js/', '/APP.JS', '/api']) {
      assert.equal(consoleAsset('GET', path), null, path);
    }
    assert.equal(consoleAsset('POST', '/')?.status, 405);
    assert.equal(consoleAsset('PUT', '/app.js')?.status, 405);
  });

  it('says in one sentence when a file is missing (a build that did not copy console/)', () => {
    const empty = loadConsoleAssets(new URL('./no-such-dir/', import.meta.url));
    const asset = consoleAsset('GET', '/', empty);
    assert.equal(asset?.status, 503);
    assert.match(
      asset.body.toString(),
      /console page is not installed \(index\.html is missing\): run npm run build/,
    );
  });

  it('writes the answer through the framework response and reports whether it did', () => {
    const sent: { status?: number; headers: Record<string, string>; body?: Buffer } = { headers: {} };
    const res: PageResponse = {
      status(code) {
        sent.status = code;
        return res;
      },
      set(field, value) {
        sent.headers[field] = value;
        return res;
      },
      send(body) {
        sent.body = body;
        return res;
      },
    };
    assert.equal(serveConsolePage({ method: 'GET', path: '/style.css' }, res), true);
    assert.equal(sent.status, 200);
    assert.equal(sent.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(serveConsolePage({ method: 'GET', path: '/nope' }, res), false);
    assert.equal(serveConsolePage({ method: 'POST', path: '/' }, res), true);
    assert.equal(sent.status, 405);
    assert.equal(sent.headers.allow, 'GET, HEAD');
  });

  it('holds nothing the CSP blocks and loads nothing from another origin', () => {
    const html = file('index.html');
    const js = file('app.js');
    const css = file('style.css');
    // Scripts only from files of this origin: no inline script, no handler attributes, no javascript: URLs.
    assert.deepEqual(
      [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]),
      ['<script type="module" src="app.js">'],
    );
    assert.doesNotMatch(html, /<script\b[^>]*>[^<]+<\/script>/);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
    assert.doesNotMatch(html, /javascript:/i);
    // No inline styles (style-src 'self'): neither <style> nor style attributes, nor ones set from the script.
    assert.doesNotMatch(html, /<style\b|\sstyle\s*=/i);
    assert.doesNotMatch(
      js,
      /setAttribute\(\s*['"]style['"]|\.innerHTML\s*=|insertAdjacentHTML|outerHTML\s*=/,
    );
    // No eval in any form.
    assert.doesNotMatch(js, /\beval\(|new Function\(|setTimeout\(\s*['"`]|setInterval\(\s*['"`]/);
    // Nothing absolute: every URL is relative to the page (the function may sit under any path).
    for (const [name, text] of [
      ['index.html', html],
      ['app.js', js],
      ['style.css', css],
    ] as const) {
      assert.doesNotMatch(text, /(src|href)\s*=\s*["'](https?:)?\/\//i, name);
      assert.doesNotMatch(text, /url\(\s*['"]?(https?:)?\/\//i, name);
      assert.doesNotMatch(text, /@import/i, name);
    }
    assert.doesNotMatch(js, /fetch\(\s*['"`](https?:)?\//);
  });
});
