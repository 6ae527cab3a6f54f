// Identicons: the comment's avatar (the server's per-site keyed hash, 16 hex digits; never the
// email) drawn as a 5x5 mirrored pattern on a canvas: no request, no markup. The hue from its
// last digit (a mid tone, seen on light and dark pages); each of the first 15 digits' parity
// fills a cell and its mirror. It leads the header, styled here (through the CSSOM, which no
// content security policy refuses), so the core pays nothing for it.
import { head } from '../hooks.js'
import { h } from '../kit.js'

head.push((c, r, T, x = c.avatar, g, i) => {
  if (!x) return null
  const canvas = h('canvas', { width: 5, height: 5, 'aria-hidden': 'true' })
  canvas.style.cssText = 'width:1.6em;image-rendering:pixelated;order:-1'
  g = canvas.getContext('2d')
  g.fillStyle = `hsl(${x.charCodeAt(15) * 23} 60% 45%)`
  for (i = 15; i--; ) x.charCodeAt(i) & 1 && g.fillRect(i % 3, (i / 3) | 0, 1, 1) + g.fillRect(4 - (i % 3), (i / 3) | 0, 1, 1)
  return canvas
})
