// The loader's helpers, shared with the bundle through the handoff (P) rather than bundled
// twice: import { h } from './kit.js' in any module of the bundle.
export let h
export const use = (P) => (h = P.h)
// A button that never submits a form: btn(text, onclick, {other attributes}).
export const btn = (text, onclick, a) => h('button', { type: 'button', text, onclick, ...a })
