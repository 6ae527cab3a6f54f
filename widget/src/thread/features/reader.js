// The reader's page: the accent follows the page's links, and a thread rendered at build time
// is checked against the server's when the reader reaches it.
import { mount } from '../hooks.js'
import { h } from '../kit.js'

// WCAG's relative luminance of an rgb() colour.
const lum = (c) =>
  c
    .match(/[\d.]+/g)
    .slice(0, 3)
    .map((v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0.05)

mount.push((T) => {
  const host = T.host
  // data-theme="auto" (the default): the accent is the page's own link colour beside #parley,
  // unless it is the browser's default blue or reads poorly on the page's background (under
  // 4.5:1, as for text); a --parley-accent set by the page wins over both.
  if (!/^(light|dark)$/.test(T.opt.theme)) {
    const a = h('a', { href: '#' })
    host.before(a)
    const link = getComputedStyle(a).color
    a.remove()
    let bg = host.dataset.scheme == 'dark' ? 'rgb(18,18,18)' : 'rgb(255,255,255)'
    for (let e = host; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor
      if (!/, 0\)$|transparent/.test(c)) {
        bg = c
        break
      }
    }
    const r = lum(link) / lum(bg)
    if (Math.max(r, 1 / r) >= 4.5 && !/^rgb\((0, 0, 238|158, 158, 255)\)$/.test(link))
      T.root.append(h('style', { text: `:host([data-scheme]){--parley-accent:${link}}` }))
  }
  // A thread taken over from the server-rendered fragment may be older than the server's: one
  // conditional request (its ETag, from data-etag) costs a 304 when nothing changed; else
  // the first page is read again.
  const f = T.fr
  const tag = f && f.dataset.etag
  const sort = tag && JSON.parse(f.dataset.parley).sort
  if (sort == T.sort)
    fetch(T.base + '/api/v1/comments.html?' + T.qs({ sort }), { method: 'HEAD', headers: { 'If-None-Match': tag } }).then(
      (r) => r.status == 200 && T.reload_(),
      () => {},
    )
})
