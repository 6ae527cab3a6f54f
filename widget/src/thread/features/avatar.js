// Identicons: the comment's avatar (the server's per-site keyed hash, 16 hex digits; never the
// email) drawn as a 5x5 mirrored pattern, five pixels a cell, on a canvas: no request, no
// markup. Its last seven digits as a number n: bit i (0-14) fills the cell in row i/3, column
// i%3 and its mirror, and n is the hue (a mid tone, seen on light and dark pages). It leads
// the header (style.css: canvas{order:-1}) and is hidden from screen readers.
import { head } from '../hooks.js'
import { h } from '../kit.js'

head.push((c, r, T, x = c.avatar, e, g, i = 15) => {
  if (!x) return
  x = parseInt(x.slice(9), 16)
  e = h('canvas', { width: 25, height: 25, 'aria-hidden': 'true' })
  g = e.getContext('2d')
  g.scale(5, 5)
  g.fillStyle = `hsl(${x} 60% 45%)`
  for (; i--; ) (x >> i) & 1 && g.fillRect(i % 3, (i / 3) | 0, 1, 1) + g.fillRect(4 - (i % 3), (i / 3) | 0, 1, 1)
  return e
})
