// The "Speak Your Mind" form. The top-level one stays under the thread; a second one moves
// under the comment being answered, so neither draft leaves the screen. T: thread.js.
import { newKey } from '../dom.js'
import { btn, h } from './kit.js'
import * as hooks from './hooks.js'

export function Form(T, pre, sub) {
  const t = T.t, store = T.store
  const F = {}
  const E = {}
  let parent = null
  let draft
  let busy
  const field = (name, text, type, req, max, auto, note) => {
    const id = pre + name
    const tag = type ? 'input' : 'textarea'
    F[name] = h(tag, {
      id,
      name,
      type,
      required: req,
      maxlength: max,
      autocomplete: auto,
      rows: !type && 7,
      'aria-describedby': id + 'e',
    })
    return h(
      'p',
      {},
      h('label', { for: id }, text, req ? h('span', { 'aria-hidden': 'true', text: ' *' }) : null, note ? ' ' + note : null),
      F[name],
      (E[name] = h('span', { id: id + 'e', class: 'e' })),
    )
  }
  const title = h('h3', { id: pre + 't', text: t.speak })
  const cancel = btn(t.cancel, () => place(0, 1), { hidden: !sub })
  const remember = h('input', { type: 'checkbox' })
  const notify = h('input', { type: 'checkbox' }) // unticked on every new draft
  // Name, email and website are kept with the draft until a post succeeds, then only when
  // "Remember me" is ticked.
  const keep = () =>
    store('me', { author: F.author.value, email: F.email.value, website: F.website.value, r: remember.checked })
  const form = h(
    'form',
    {
      novalidate: true,
      'aria-labelledby': pre + 't',
      onsubmit: submit,
      oninput: () => {
        draft.x = F.text.value
        store(draftKey(), draft)
        keep()
      },
      onkeydown: (e) => {
        if (e.key == 'Escape' && parent) place(0, 1)
        if (e.key == 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit()
      },
    },
    title,
    field('author', t.name, 'text', 1, 80, 'name'),
    field('email', t.email, 'email', 1, 254, 'email', t.private),
    field('website', t.website, 'url', 0, 200, 'url'),
    field('text', t.text, null, 1, 10000),
    h('p', { class: 'v', 'aria-hidden': 'true' }, h('label', {}, t.hp, (F.hp = h('input', { name: 'hp', tabindex: -1, autocomplete: 'off' })))),
    h('p', { class: 'r' }, h('label', {}, notify, t.notify)),
    h('p', { class: 'r' }, h('label', {}, remember, t.remember)),
    h('p', {}, h('button', { class: 'p', text: t.post }), ' ', cancel),
  )
  const draftKey = () => 'draft:' + T.site + T.uri + '#' + (parent || '')

  function place(id, back) {
    const old = T.byId_[parent]
    const p = T.byId_[id]
    parent = p ? id : null
    p ? p.art_.after(form) : sub ? form.remove() : T.home.append(form)
    if (sub) title.textContent = p ? T.fmt(t.replyTo, p.c.author) : ''
    draft = store(draftKey()) || { k: newKey() }
    const me = store('me') || {}
    for (const k of ['author', 'email', 'website']) F[k].value = me[k] || ''
    remember.checked = !!me.r
    notify.checked = false
    F.text.value = draft.x || ''
    errors({})
    if (p) (F.author.value ? F.text : F.author).focus()
    if (back && old) old.rb_.focus()
  }

  function errors(fields) {
    let first
    for (const k in E) {
      E[k].textContent = fields[k] || ''
      F[k].setAttribute('aria-invalid', !!fields[k])
      if (fields[k] && !first) (first = F[k]).focus()
    }
    return first
  }

  async function submit(ev) {
    ev.preventDefault()
    if (busy) return
    const v = {}
    for (const k in F) v[k] = F[k].value.trim()
    const bad = {}
    for (const k in F) if (F[k].required && !v[k]) bad[k] = t.required
    if (F.email.validity.typeMismatch) bad.email = t.badEmail // the browser's own rule
    if (v.website && !/^https?:\/\/\S+$/i.test(v.website)) bad.website = t.badUrl
    if (errors(bad)) return T.fail_(form, { message: t.fix })
    busy = 1
    T.fail_()
    T.say_(t.sending)
    try {
      // v: author, email, website, text, hp (an empty website or parent reads as none).
      const body = { ...v, title: T.opt.title || document.title, parent, key: draft.k, notify: notify.checked }
      for (const f of hooks.send) await f(body, T)
      const j = await T.api('comments', { method: 'POST', body }) // through the features (proof.js)
      if (!remember.checked) store('me', null)
      const c = j.comment
      if (c.status == 'approved') c.number ||= T.count_ + 1
      T.mine_[c.id] = { t: j.token, u: Date.parse(j.editable_until), x: v.text, c }
      T.saveMine_()
      store(draftKey(), null)
      const pr = T.byId_[parent]
      place()
      T.render_(c, T.sort_ == 'newest')
      if (c.status == 'approved') {
        T.setCount_(T.count_ + 1)
        if (pr) pr.c.replies++, T.paint_(pr)
      }
      T.jump_(c.id)
      T.say_(j.code == 202 ? t.pending : t.posted)
    } catch (e) {
      errors(e.fields || {})
      T.fail_(form, { message: e.message + (e.fields ? '' : ' ' + t.kept) })
      T.say_()
    }
    busy = 0
  }
  return { form_: form, place_: place, F_: F }
}
