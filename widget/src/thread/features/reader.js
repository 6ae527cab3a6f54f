// The accent follows the page's own links where they read well on its background.
import { mount } from '../hooks.js'
import { h } from '../kit.js'

// Relative luminance (sRGB, the usual 2.2 gamma) + 0.05 of [r, g, b]: WCAG's contrast is a
// ratio of two.
const lum = (c) => c.reduce((s, v, i) => s + [0.2126, 0.7152, 0.0722, 0][i] * (v / 255) ** 2.2, 0.05)

mount.push((T, a, c) => {
  // The accent is the page's own link colour beside #parley, unless it is the browser's
  // default or reads under 4.5:1 (as text must) on the background the loader found behind
  // #parley (P.bg; else the canvas of data-scheme); a --parley-accent set by the page wins.
  T.host.before((a = h('a', { href: '' })))
  c = getComputedStyle(a).color
  a.remove()
  a = lum(c.match(/\d+/g)) / (T.bg ? lum(T.bg) : T.host.dataset.scheme == 'dark' ? 0.056 : 1.05)
  if ((a > 4.5 || a < 0.22) && !/(0, 0, 238|158, 158, 255)\)/.test(c))
    T.root.append(h('style', { text: ':host([data-scheme]){--parley-accent:' + c }))
})
