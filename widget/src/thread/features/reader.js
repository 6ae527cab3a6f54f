// The reader's page: the accent follows the page's own links where they read well on its
// background, and the native parts follow the widget's scheme.
import { mount } from '../hooks.js'
import { h } from '../kit.js'

// Relative luminance (sRGB, the usual 2.2 gamma) + 0.05 of [r, g, b]: WCAG's contrast is a
// ratio of two.
const lum = (c) => c.reduce((s, v, i) => s + [0.2126, 0.7152, 0.0722, 0][i] * (v / 255) ** 2.2, 0.05)

mount.push((T, a, c) => {
  // The accent is the page's own link colour beside #parley (as its readers see it, the
  // browser's default where the page sets none), unless it reads under 4.5:1 (as text must;
  // 5:1 for light links on a dark page) on the background the loader found behind #parley
  // (P.bg; white where none was found); a --parley-accent set by the page wins.
  T.host.before((a = h('a', { href: '' })))
  c = getComputedStyle(a).color
  a.remove()
  a = lum(c.match(/\d+/g)) / (T.bg ? lum(T.bg) : 1.05)
  // The native parts (the sort menu's list, checkboxes) follow data-scheme, not the page
  // (style.css sets color-scheme on :host). Added to the widget's own style sheet, the shadow
  // root's first child.
  T.root.firstChild.append(
    'option{background:Canvas;color:CanvasText}' +
      (a > 4.5 || a < 0.2 ? ':host([data-scheme]){--parley-accent:' + c : ''),
  )
})
