// Small DOM and storage helpers. Text always goes in as text nodes, never as markup.

// h('a', {href, onclick, text}, ...children): attributes with null/false/0 are left out.
export function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag)
  for (const k in attrs) {
    const v = attrs[k]
    if (v == null || v === false || v === 0) continue
    if (k == 'text') e.textContent = v
    else if (k.startsWith('on')) e[k] = v
    else e.setAttribute(k, v === true ? '' : v)
  }
  for (const c of kids) if (c != null) e.append(c)
  return e
}

// A 5x5 mirrored identicon drawn from the server's avatar hash: no third-party request.
export function avatar(hex) {
  const NS = 'http://www.w3.org/2000/svg'
  const el = (tag, a) => {
    const e = document.createElementNS(NS, tag)
    for (const k in a) e.setAttribute(k, a[k])
    return e
  }
  const bits = parseInt(hex.slice(0, 8), 16) || 0
  const hue = parseInt(hex.slice(8, 12), 16) % 360 || 0
  const svg = el('svg', { viewBox: '0 0 5 5', 'aria-hidden': 'true' })
  svg.append(el('rect', { width: 5, height: 5, fill: `hsl(${hue} 45% 90%)` }))
  for (let i = 0; i < 15; i++)
    if ((bits >> i) & 1)
      for (const x of new Set([i % 3, 4 - (i % 3)]))
        svg.append(el('rect', { x, y: (i / 3) | 0, width: 1, height: 1, fill: `hsl(${hue} 55% 42%)` }))
  return svg
}

// localStorage as JSON; silent where storage is blocked. store(k) reads, store(k, null) forgets.
export function store(k, v) {
  try {
    k = 'parley:' + k
    if (v === undefined) return JSON.parse(localStorage.getItem(k))
    v == null ? localStorage.removeItem(k) : localStorage.setItem(k, JSON.stringify(v))
  } catch {}
}

// An idempotency key per draft: 28 chars of [0-9a-z].
export const newKey = () =>
  Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36).padStart(7, '0')).join('')
