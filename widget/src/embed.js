// Parley's loader (embed.js): what every page view runs. It fills the [data-parley-count]
// links, follows the page's colour scheme on #parley, and, only when the reader nears #parley
// (or the URL names a comment), reads the thread's first page and loads the thread bundle
// (thread/index.js, at a content-hashed URL cached for a year) to draw it. A page view that
// never scrolls to the comments costs this script and at most one counts request.
// Security rule: the DOM is built with createElement and textContent, never markup.
import { comments, none, net } from './i18n/en.json'
import { h, store } from './dom.js'

// Captured synchronously: currentScript is null once this first run is over.
const S = document.currentScript
const D = document
const cfg = (S && S.dataset) || {}
// The bundle and the languages sit beside this script: on the API, or on the blog's own host
// (`parley widget --out DIR`), which names the API with data-api.
const here = S ? new URL('.', S.src).href : ''
const base = (cfg.api || here).replace(/\/$/, '')
const site = cfg.site
const uri = cfg.uri || location.pathname
const LANGS = /^(uk|de|fr|es)$/
let lang = (cfg.lang || D.documentElement.lang || 'en').slice(0, 2).toLowerCase()
let t = { comments, none, net }
let seen // the API's own bundle, named by the Parley-Widget header of its answers

const fmt = (s, n) => s.replace('{n}', n)
const plural = (o, n) => fmt(o[new Intl.PluralRules(lang).select(n)] || o.other, n)
const label = (n) => (n ? plural(t.comments, n) : t.none)

// async: it is inserted by script
const script = (src, done) => D.head.append(h('script', { src, onload: done, onerror: done }))

// Other languages are small scripts beside the loader, loaded only when asked for.
const loadLang = () =>
  new Promise((done) => {
    if (!LANGS.test(lang)) return done((lang = 'en'))
    script(here + 'widget/' + lang + '.js', () => {
      const l = (window.parleyL10n || {})[lang]
      l ? (t = { ...t, ...l }) : (lang = 'en')
      done()
    })
  })

// Every API call goes through here; errors reject with the server's {code, message, fields}.
async function api(path, o = {}, token) {
  const headers = {}
  if (o.body) {
    headers['Content-Type'] = 'application/json'
    o.body = JSON.stringify({ site, uri, ...o.body })
  }
  if (token) headers.Authorization = 'Bearer ' + token
  let r
  try {
    r = await fetch(base + '/api/v1/' + path, { ...o, headers })
  } catch {
    throw { message: t.net }
  }
  seen ||= r.headers.get('parley-widget')
  const j = r.status == 204 ? {} : await r.json().catch(() => ({}))
  if (!r.ok) throw j.error || { message: t.net }
  j.code = r.status
  return j
}
const qs = (o) => new URLSearchParams({ site, uri, ...o })

// The count links: from the page itself when it carries them (a build-time counts file, i.e.
// <script type="application/json" data-parley-counts> holding a saved GET /api/v1/counts
// answer, and the server-rendered thread's own count), otherwise one request per page view
// for the rest; never deferred.
function counts() {
  const els = [...D.querySelectorAll('[data-parley-count]')]
  const known = {}
  const fr = D.querySelector('#parley [data-parley]')
  try {
    D.querySelectorAll('[data-parley-counts]').forEach((e) => Object.assign(known, JSON.parse(e.textContent).counts))
    if (fr) known[uri] = JSON.parse(fr.dataset.parley).thread.count
  } catch {}
  const fill = (c) =>
    els.forEach((e) => {
      const n = c[e.dataset.parleyCount]
      if (n != null) e.textContent = label(n)
    })
  fill(known)
  const uris = [...new Set(els.map((e) => e.dataset.parleyCount))].filter((u) => !(u in known))
  for (let i = 0; i < uris.length; i += 100) {
    const part = uris.slice(i, i + 100)
    api('counts?' + new URLSearchParams([['site', site], ...part.map((u) => ['uri', u])])).then(
      (j) => fill(Object.fromEntries(part.map((u) => [u, j.counts[u] ?? 0]))),
      () => {},
    )
  }
  return els
}

function thread(host) {
  if (!host) S.after((host = h('div', { id: 'parley' })))
  const opt = { ...cfg, ...host.dataset }
  // "auto" follows the page itself: the first opaque background behind #parley, else the
  // canvas, which is dark only when the page's color-scheme allows dark and the reader wants it.
  const dark = matchMedia('(prefers-color-scheme:dark)')
  let bg // the background found, [r, g, b], for the bundle's accent check (P.bg)
  const scheme = () => {
    if (opt.theme == 'dark' || opt.theme == 'light') return opt.theme
    for (let e = host; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor.match(/[\d.]+/g)
      if (c && c[3] != 0) return (bg = c), c[0] * 0.3 + c[1] * 0.59 + c[2] * 0.11 < 128 ? 'dark' : 'light'
    }
    const cs = getComputedStyle(D.documentElement).colorScheme
    return /dark/.test(cs) && (!/light/.test(cs) || dark.matches) ? 'dark' : 'light'
  }
  const paint = () => (host.dataset.scheme = scheme())
  dark.onchange = paint
  paint()

  // The thread's first page: taken over from the server-rendered fragment (GET
  // /api/v1/comments.html) when it is in #parley and in the reader's order, else read.
  const fr = host.querySelector('[data-parley]')
  const go = () => {
    io.disconnect()
    paint()
    const sort = store('sort') || 'oldest'
    const j = fr && JSON.parse(fr.dataset.parley)
    const take = () => ({
      ...j,
      comments: [...fr.querySelectorAll('[data-c]')].map((e) => ({
        ...JSON.parse(e.dataset.c),
        html: e.querySelector('[itemprop=text]').innerHTML,
      })),
    })
    const read = () => api('comments?' + qs({ limit: PAGE, sort })) // PAGE: build.mjs
    // A fragment built into the page may be older than the thread: the first page is read
    // with the ETag it carries (data-etag), and the answer is a 204 when nothing changed, so
    // one request either way; unreachable, the fragment stands.
    const first =
      j && j.sort == sort
        ? api('comments?' + qs({ limit: PAGE, sort, built: fr.dataset.etag })).then(
            (x) => (x.code == 204 ? take() : x),
            take,
          )
        : read()
    const settled = first.catch(() => {}) // the bundle reports the error
    // A copy on the blog's host that is not the API's version gives way to the API's own
    // bundle, which matches the API it talks to; it waits for the answer that names it.
    const own = here + 'widget/' + BUNDLE
    const pick = () =>
      seen && seen != BUNDLE
        ? (console.info('Parley: this copy of the widget differs from the API’s; using the API’s.'),
          base + '/widget/' + seen)
        : own
    const run = () => self.parleyThread({ host, opt, site, uri, base, lang, t, api, qs, h, store, fmt, plural, label, first, sort, fr, bg })
    here == base + '/' ? script(own, run) : settled.then(() => script(pick(), run))
  }
  // Lazy: the thread is read when #parley nears the viewport, or at once for a permalink.
  const io = new IntersectionObserver((es) => es[0].isIntersecting && go(), { rootMargin: '800px' })
  ;/^#comment-/.test(location.hash) ? go() : io.observe(host)
}

if (site)
  Promise.all([
    loadLang(),
    new Promise((ok) => (D.readyState == 'loading' ? D.addEventListener('DOMContentLoaded', ok) : ok())),
  ]).then(() => {
    // An index page (count links, none of them for this page, no #parley) gets counts only.
    const host = D.getElementById('parley')
    const els = counts()
    if (host || !els.length || els.some((e) => e.dataset.parleyCount == uri)) thread(host)
  })
