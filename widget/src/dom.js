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

// localStorage as JSON; silent where storage is blocked. store(k) reads, store(k, null) forgets.
export function store(k, v) {
  try {
    k = 'parley:' + k
    if (v === undefined) return JSON.parse(localStorage.getItem(k))
    v == null ? localStorage.removeItem(k) : localStorage.setItem(k, JSON.stringify(v))
  } catch {}
}

// An idempotency key per draft: 32 hex digits (128 random bits).
export const newKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, 0)).join('')
