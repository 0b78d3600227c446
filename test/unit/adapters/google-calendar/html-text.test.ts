/**
 * Descriptions written with Google Calendar's rich-text editor (HTML) read as the text a person sees there; plain
 * text is never taken for markup (html-text.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decodeEntities,
  htmlToText,
  looksLikeHtml,
  textAsHtml,
} from '../../../../shared/adapters/google-calendar/html-text.js';

describe('looksLikeHtml', () => {
  const cases: readonly [string, boolean][] = [
    ['Agenda<br>1. intro', true],
    ['line<br/>next', true],
    ['line<BR />next', true],
    ['<b>bold</b>', true],
    ['<a href="https://x.example">x</a>', true],
    ['<ul><li>one</li></ul>', true],
    ['<span style="color: red">x</span>', true],
    ['plain text', false],
    ['a < b and c > d', false],
    ['x<y>z', false],
    ['fill in <name> and <date>', false],
    ['a<b and c>d', false],
    ['AT&amp;T', false],
    ['', false],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected}`, () => {
      assert.equal(looksLikeHtml(text), expected);
    });
  }
});

describe('htmlToText: what Google’s editor writes', () => {
  const cases: readonly [string, string, string][] = [
    [
      'bold, italic, underline: tags dropped',
      '<b>Agenda</b> for <i>the</i> <u>day</u>',
      'Agenda for the day',
    ],
    ['line breaks', 'one<br>two<br/>three<br />four', 'one\ntwo\nthree\nfour'],
    ['an empty line', 'one<br><br>two', 'one\n\ntwo'],
    [
      'entities',
      'AT&amp;T &lt;ok&gt; it&#39;s &quot;q&quot; &#x27;h&#x27; caf&eacute;',
      "AT&T <ok> it's \"q\" 'h' caf&eacute;",
    ],
    ['&nbsp; is a space', 'a&nbsp;b&nbsp;&nbsp;c', 'a b  c'],
    ['typographic entities', 'a &ndash; b &mdash; c&hellip; &euro;5', 'a – b — c… €5'],
    [
      'a link',
      'See <a href="https://x.example/doc?a=1&amp;b=2">the doc</a>.',
      'See the doc (https://x.example/doc?a=1&b=2).',
    ],
    [
      'a link whose text is the url',
      '<a href="https://x.example/">https://x.example/</a>',
      'https://x.example/',
    ],
    ['the url without its slash', '<a href="https://x.example/">https://x.example</a>', 'https://x.example'],
    ['a mailto link', '<a href="mailto:ann@x.example">ann@x.example</a>', 'ann@x.example'],
    ['a link without text', 'Doc: <a href="https://x.example/d"></a>', 'Doc: https://x.example/d'],
    ['a link without href', '<a name="top">Top</a>', 'Top'],
    [
      'Google’s redirect wrapper',
      '<a href="https://www.google.com/url?q=https://x.example/a&amp;sa=D&amp;ust=1">https://x.example/a</a>',
      'https://x.example/a',
    ],
    ['single-quoted href', "<a href='https://x.example'>site</a>", 'site (https://x.example)'],
    [
      'bulleted list',
      'Bring:<ul><li>laptop</li><li>charger</li></ul>Thanks',
      'Bring:\n- laptop\n- charger\nThanks',
    ],
    ['numbered list', '<ol><li>first</li><li>second</li></ol>', '- first\n- second'],
    [
      'nested list',
      '<ul><li>a<ul><li>a1</li><li>a2</li></ul></li><li>b</li></ul>',
      '- a\n  - a1\n  - a2\n- b',
    ],
    ['paragraphs', '<p>one</p><p>two</p>', 'one\ntwo'],
    ['divs and spans', '<div><span style="font-weight:bold">x</span></div><div>y</div>', 'x\ny'],
    ['a line break at a block end adds no blank line', '<p>one<br></p><p>two</p>', 'one\ntwo'],
    ['layout white space between tags', '<ul>\n  <li>one</li>\n  <li>two</li>\n</ul>', '- one\n- two'],
    ['line breaks in the source are kept', '<b>Agenda</b>\n1. intro\n2. plan', 'Agenda\n1. intro\n2. plan'],
    ['a < that is no tag stays', '<b>x</b> a < b', 'x a < b'],
    [
      'comments and scripts are not text',
      'a<!-- hidden --><script>alert(1)</script><style>p{}</style>b<br>',
      'ab',
    ],
    ['unknown numeric entity stays', '&#0; &#xD800; &#65;', '&#0; &#xD800; A'],
    ['CRLF', '<b>a</b>\r\nb', 'a\nb'],
  ];
  for (const [label, html, text] of cases) {
    it(label, () => {
      assert.equal(htmlToText(html), text);
    });
  }
});

describe('decodeEntities', () => {
  it('decodes named, decimal and hex references; leaves unknown names', () => {
    assert.equal(decodeEntities('&AMP; &#8364; &#x1F600; &bogus; & alone'), '& € 😀 &bogus; & alone');
  });
});

describe('textAsHtml: plain text that would be misread as HTML', () => {
  const texts = [
    'use <br> for a line break',
    'close with </b>\n  indented &amp; escaped',
    '<a href="x">not a link</a>',
    'a\n\nb',
  ];
  for (const text of texts) {
    it(`${JSON.stringify(text)} reads back as itself`, () => {
      const html = textAsHtml(text);
      assert.equal(looksLikeHtml(html), true);
      assert.equal(htmlToText(html), text);
    });
  }
});
