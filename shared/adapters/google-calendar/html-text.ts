/**
 * Google Calendar's description editor stores rich text as HTML (`<b>`, `<i>`, `<u>`, `<br>`, `<a href>`, lists,
 * `<p>`, `<span>`, entities): Severa's notes are plain text, so the sync reads such a description as the text a
 * person sees. Pure, no dependencies: a small converter for exactly that subset, not a general HTML parser (an npm
 * converter such as html-to-text brings 14 packages and ~35 ms of module loading to every cold start, for a few
 * tags).
 *
 * - {@link looksLikeHtml} decides: only a `<br>` or the closing tag of a formatting element counts, so plain text
 *   with `<` in it ("a < b", "x<y>z", "<name>") is never taken for markup.
 * - {@link htmlToText}: `<br>` and block ends become line breaks, list items `- ` bullets (nested lists indented),
 *   links `text (url)` (just `url` when the text is the url), entities decoded, every other tag dropped.
 * - {@link textAsHtml}: the way back for the rare plain text that {@link looksLikeHtml} would misread: escaped
 *   and wrapped, so reading it back gives the same text.
 */

/** `<br>`, or the closing tag of an element Google's editor (or a pasted page) writes around text. */
const MARKUP =
  /<br\s*\/?>|<\/(?:a|b|i|u|s|p|div|span|ul|ol|li|strong|em|font|h[1-6]|blockquote|pre|code|strike|del|ins|sub|sup|table|tbody|thead|tr|td|th)\s*>/i;

/** A tag (name, attributes, self-closing slash) or a comment. */
const TOKEN = /<!--[\s\S]*?(?:-->|$)|<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^<>"']|"[^"]*"|'[^']*')*)>/g;

/** Elements that start and end on a line of their own. */
const BLOCKS = new Set([
  'p',
  'div',
  'ul',
  'ol',
  'li',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'table',
  'tr',
  'hr',
  'section',
  'article',
  'header',
  'footer',
]);

/** Elements whose content is not text a person reads. */
const HIDDEN = new Set(['script', 'style', 'head', 'title']);

/**
 * Named entities: the ones HTML escaping produces plus the common typographic ones. Google's editor writes other
 * characters as themselves (UTF-8); an unknown name is left as written.
 */
const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ensp: ' ',
  emsp: ' ',
  thinsp: ' ',
  shy: '',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  sbquo: '‚',
  ldquo: '“',
  rdquo: '”',
  bdquo: '„',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  para: '¶',
  deg: '°',
  plusmn: '±',
  times: '×',
  divide: '÷',
  frac12: '½',
  frac14: '¼',
  frac34: '¾',
  rarr: '→',
  larr: '←',
};

export function looksLikeHtml(text: string): boolean {
  return MARKUP.test(text);
}

function codePoint(value: number): string | null {
  const valid = value > 0 && value <= 0x10ffff && !(value >= 0xd800 && value <= 0xdfff);
  return valid ? String.fromCodePoint(value) : null;
}

/** `&name;`, `&#nnn;` and `&#xhh;`; anything else stays as written. */
export function decodeEntities(text: string): string {
  return text.replace(
    /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]*));/g,
    (whole: string, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
      if (dec !== undefined) return codePoint(Number.parseInt(dec, 10)) ?? whole;
      if (hex !== undefined) return codePoint(Number.parseInt(hex, 16)) ?? whole;
      return NAMED[(name ?? '').toLowerCase()] ?? whole;
    },
  );
}

function hrefOf(attributes: string): string {
  const match = /(?:^|\s)href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`=]+))/i.exec(attributes);
  const raw = match?.[1] ?? match?.[2] ?? match?.[3] ?? '';
  const href = decodeEntities(raw).trim();
  // Links pasted from Gmail or Google Docs go through Google's redirector: the target is its `q` parameter.
  const redirect =
    /^https?:\/\/(?:www\.)?google\.[a-z.]+\/url\?/i.test(href) && URL.canParse(href) ? new URL(href) : null;
  return redirect?.searchParams.get('q') ?? href;
}

/** The text names the link's target (`https://x.example` for `https://x.example/`, `a@b` for `mailto:a@b`). */
function sameTarget(text: string, href: string): boolean {
  const bare = (value: string): string =>
    value
      .replace(/^mailto:/i, '')
      .replace(/\/$/, '')
      .toLowerCase();
  return bare(text) === bare(href);
}

/** The text being written, line by line. */
class TextWriter {
  text = '';
  /** After a block boundary or a bullet, leading white space of the next text is layout, not content. */
  #trimNext = false;
  readonly #lists: number[] = [];
  readonly #links: { readonly href: string; readonly from: number }[] = [];

  write(value: string): void {
    const chunk = this.#trimNext ? value.replace(/^\s+/, '') : value;
    if (chunk === '') return;
    this.text += chunk;
    this.#trimNext = false;
  }

  lineBreak(): void {
    this.text += '\n';
  }

  /** Ends the current line unless it is already ended (blocks never add blank lines of their own). */
  blockBoundary(): void {
    if (this.text !== '' && !this.text.endsWith('\n')) this.text += '\n';
    this.#trimNext = true;
  }

  openList(): void {
    this.blockBoundary();
    this.#lists.push(0);
  }

  closeList(): void {
    this.#lists.pop();
    this.blockBoundary();
  }

  item(): void {
    this.blockBoundary();
    this.text += `${'  '.repeat(Math.max(0, this.#lists.length - 1))}- `;
    this.#trimNext = true;
  }

  openLink(href: string): void {
    this.#links.push({ href, from: this.text.length });
  }

  closeLink(): void {
    const link = this.#links.pop();
    if (link === undefined || link.href === '') return;
    const label = this.text.slice(link.from).trim();
    if (label === '') this.write(link.href);
    else if (!sameTarget(label, link.href)) this.text += ` (${link.href})`;
  }
}

function applyTag(out: TextWriter, closing: boolean, name: string, attributes: string): void {
  if (name === 'br') out.lineBreak();
  else if (name === 'ul' || name === 'ol') {
    if (closing) out.closeList();
    else out.openList();
  } else if (name === 'li' && !closing) out.item();
  else if (name === 'a') {
    if (closing) out.closeLink();
    else out.openLink(hrefOf(attributes));
  } else if (BLOCKS.has(name)) out.blockBoundary();
}

/**
 * An HTML description as the text a person reads. Line breaks in the source are kept (Google shows them), except
 * the layout white space between tags and line breaks at the very end.
 */
export function htmlToText(html: string): string {
  const out = new TextWriter();
  let hidden: string | null = null;
  let at = 0;
  const text = (value: string): void => {
    if (hidden !== null || (/^\s*$/.test(value) && value.includes('\n'))) return;
    out.write(decodeEntities(value.replace(/\r\n?/g, '\n')));
  };
  for (const match of html.matchAll(TOKEN)) {
    text(html.slice(at, match.index));
    at = match.index + match[0].length;
    const name = match[2]?.toLowerCase();
    if (name === undefined) continue; // a comment
    const closing = match[1] === '/';
    if (HIDDEN.has(name)) {
      hidden = closing ? null : name;
      continue;
    }
    if (hidden === null) applyTag(out, closing, name, match[3] ?? '');
  }
  text(html.slice(at));
  // The line a last block or `<br>` ends is not followed by an empty one.
  return out.text.replace(/\n+$/, '');
}

/** Plain text that {@link looksLikeHtml} would misread, as HTML that reads back as exactly this text. */
export function textAsHtml(text: string): string {
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\n/g, '<br>');
  return `<span>${escaped}</span>`;
}
