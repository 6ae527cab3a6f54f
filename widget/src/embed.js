// Parley embed: one script tag renders a page's comment thread and fills every
// [data-parley-count] element. Security rule: the DOM is built with createElement and
// textContent; the only HTML ever inserted is the server-sanitized comment body (c.html).
import css from './style.css'
import en from './i18n/en.json'
import { h, avatar, store, newKey } from './dom.js'

// Captured synchronously: currentScript is null once this first run is over.
const S = document.currentScript
const D = document
const cfg = (S && S.dataset) || {}
// The API lives beside embed.js, so the widget works when pasted on another origin.
const base = S ? new URL('.', S.src).href.replace(/\/$/, '') : ''
const site = cfg.site
const uri = cfg.uri || location.pathname
const LANGS = /^(uk|de|fr|es)$/
let lang = (cfg.lang || D.documentElement.lang || 'en').slice(0, 2).toLowerCase()
let t = en

const fmt = (s, n) => s.replace('{n}', n)
const plural = (o, n) => fmt(o[new Intl.PluralRules(lang).select(n)] || o.other, n)
const label = (n) => (n ? plural(t.comments, n) : t.none)

// Other languages are small scripts beside the embed, loaded only when asked for.
const loadLang = () =>
  new Promise((done) => {
    if (!LANGS.test(lang)) return done((lang = 'en'))
    const s = h('script', { src: base + '/widget/' + lang + '.js', async: true })
    s.onload = s.onerror = () => {
      const l = (window.parleyL10n || {})[lang]
      l ? (t = { ...en, ...l }) : (lang = 'en')
      done()
    }
    D.head.append(s)
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
  const j = r.status == 204 ? {} : await r.json().catch(() => ({}))
  if (!r.ok) throw j.error || { message: t.net }
  j.code = r.status
  return j
}
const qs = (o) => new URLSearchParams({ site, uri, ...o })

function counts() {
  const els = [...D.querySelectorAll('[data-parley-count]')]
  const uris = [...new Set(els.map((e) => e.dataset.parleyCount))]
  for (let i = 0; i < uris.length; i += 100) {
    const p = new URLSearchParams({ site })
    uris.slice(i, i + 100).forEach((u) => p.append('uri', u))
    api('counts?' + p).then(
      (j) =>
        els.forEach((e) => {
          const n = j.counts[e.dataset.parleyCount]
          if (n != null) e.textContent = label(n)
        }),
      () => {},
    )
  }
}

function thread(first) {
  let host = D.getElementById('parley')
  if (!host) S.after((host = h('div', { id: 'parley' })))
  if (!host.dataset.theme) host.dataset.theme = cfg.theme || 'auto'
  const root = host.attachShadow({ mode: 'open' })
  root.append(h('style', { text: css }))

  const byId = {} // id -> {c, li, art, body, kids, lvl, rb, rc}
  const mineKey = 'mine:' + site + uri
  const mine = store(mineKey) || {}
  const saveMine = () => store(mineKey, mine)
  const liked = store('liked') || []
  const timers = []
  let count = 0
  let next = null
  let locked = false
  let parent = null // the comment the form answers
  let draft
  let busy

  const head = h('h2', { id: 'ph' })
  const list = h('ol')
  const more = h('button', { type: 'button', hidden: true, text: t.more, onclick: () => page(next) })
  const home = h('div')
  const status = h('p', { role: 'status', class: 's' })
  root.append(h('section', { lang, 'aria-labelledby': 'ph' }, head, list, more, home))
  const say = (m) => (status.textContent = m || '')

  const setCount = (n) => {
    head.textContent = label((count = Math.max(n, 0)))
    D.querySelectorAll('[data-parley-count]').forEach((e) => {
      if (e.dataset.parleyCount == uri) e.textContent = head.textContent
    })
  }

  function jump(id, focus) {
    const r = byId[id]
    if (!r) return
    root.querySelectorAll('.hl').forEach((e) => e.classList.remove('hl'))
    r.art.classList.add('hl')
    r.art.scrollIntoView({ block: 'center' })
    if (focus) r.art.focus({ preventScroll: true })
  }
  const fromHash = () => {
    const m = /^#comment-(\w+)$/.exec(location.hash)
    if (m) jump(m[1], 1)
  }
  addEventListener('hashchange', fromHash)
  const permalink = (id, cls, ...kids) =>
    h('a', { href: '#comment-' + id, class: cls, onclick: () => jump(id, 1) }, ...kids)

  // Visible text and accessible name agree: "♥ Like 3" reads as "Like 3".
  const setLike = (b, n) => b.replaceChildren(h('span', { 'aria-hidden': 'true', text: '♥' }), ` ${t.like} ${n}`)

  function body(r) {
    const c = r.c
    r.body.textContent = ''
    if (c.deleted) r.body.append(h('p', { class: 'x', text: t.deleted }))
    else r.body.innerHTML = c.html // server-sanitized: the one place HTML goes in
    if (c.status == 'pending') r.body.append(h('p', { class: 'x', text: t.pending }))
  }

  function render(c) {
    if (byId[c.id]) return
    const p = c.parent && byId[c.parent]
    const lvl = p ? Math.min(p.lvl + 1, 3) : 1
    const flat = p && p.lvl == 3 // too deep: a sibling of its parent, with "@Parent:"
    const r = (byId[c.id] = { c, lvl })
    const own = mine[c.id]
    const web = c.website && /^https?:\/\//i.test(c.website) ? c.website : null
    r.art = h(
      'article',
      { tabindex: -1 },
      h(
        'header',
        {},
        avatar(c.avatar || ''),
        c.number && c.status == 'approved' ? h('span', { class: 'n', text: c.number + '.' }) : null,
        c.deleted
          ? null
          : h(
              'span',
              {},
              h(web ? 'a' : 'span', { class: 'a', href: web, rel: web && 'nofollow ugc noopener' }, c.author),
              ' ' + t.says,
            ),
        permalink(
          c.id,
          'd',
          h('time', {
            datetime: c.created,
            text: new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' }).format(
              new Date(c.created),
            ),
          }),
        ),
        c.edited ? h('span', { class: 'x', text: t.edited }) : null,
      ),
      flat ? h('p', {}, permalink(p.c.id, null, '@' + (p.c.author || '…') + ':')) : null,
      (r.body = h('div', { class: 'b' })),
    )
    body(r)
    const foot = h('footer')
    if (!c.deleted && c.status == 'approved') {
      if (!locked)
        foot.append((r.rb = h('button', { type: 'button', text: t.reply, onclick: () => place(c.id) })))
      const lb = h('button', {
        type: 'button',
        'aria-pressed': liked.includes(c.id) + '',
        onclick: () =>
          api('comments/' + c.id + '/likes', { method: 'POST', body: {} }).then((j) => {
            setLike(lb, j.likes)
            lb.setAttribute('aria-pressed', 'true')
            if (!liked.includes(c.id)) liked.push(c.id), store('liked', liked.slice(-500))
          }, (e) => say(e.message)),
      })
      setLike(lb, c.likes)
      foot.append(lb, (r.rc = h('span', { class: 'm' })))
    }
    // Pending comments too: their author may still fix or withdraw them.
    if (!c.deleted && own && own.u > Date.now()) tools(r, own, foot)
    if (foot.firstChild) r.art.append(foot)
    r.li = h('li', { id: 'comment-' + c.id }, r.art)
    replies(r)
    if (!p) list.append(r.li)
    else if (flat) p.li.parentNode.append(r.li)
    else (p.kids || p.li.appendChild((p.kids = h('ol')))).append(r.li)
    return r
  }
  const replies = (r) => r.rc && (r.rc.textContent = r.c.replies ? plural(t.replies, r.c.replies) : '')

  // Edit and Delete for the reader's own comments, while their token is valid.
  function tools(r, own, foot) {
    const left = h('span', { class: 'm' })
    const box = h(
      'span',
      {},
      h('button', { type: 'button', text: t.edit, onclick: () => edit(r, own) }),
      ' ',
      h('button', { type: 'button', text: t.delete, onclick: () => remove(r, own) }),
      ' ',
      left,
    )
    foot.append(box)
    timers.push({ u: own.u, left, box })
    tick()
  }
  function tick() {
    for (const x of timers) {
      const ms = x.u - Date.now()
      if (ms > 0) x.left.textContent = fmt(t.left, Math.ceil(ms / 6e4))
      else x.box.remove()
    }
  }
  setInterval(tick, 2e4)

  function edit(r, own) {
    const ta = h('textarea', { 'aria-label': t.text, rows: 5, maxlength: 10000 })
    ta.value = own.x || ''
    const done = () => {
      box.remove()
      r.body.hidden = false
    }
    const box = h(
      'div',
      {},
      ta,
      h('button', {
        type: 'button',
        class: 'p',
        text: t.save,
        onclick: () =>
          api('comments/' + r.c.id, { method: 'PATCH', body: { text: ta.value.trim() } }, own.t).then(
            (j) => {
              own.x = ta.value.trim()
              own.c = r.c = j.comment
              saveMine()
              body(r)
              done()
              say(t.saved)
            },
            (e) => say(e.message),
          ),
      }),
      ' ',
      h('button', { type: 'button', text: t.cancel, onclick: done }),
    )
    r.body.hidden = true
    r.body.after(box)
    ta.focus()
  }

  function remove(r, own) {
    if (!confirm(t.confirm)) return
    api('comments/' + r.c.id + '?' + qs({}), { method: 'DELETE' }, own.t).then(() => {
      delete mine[r.c.id]
      saveMine()
      if (r.li.contains(form)) place(null)
      if (r.kids || r.c.replies) {
        r.c = { ...r.c, deleted: true }
        body(r)
        r.art.querySelector('footer')?.remove()
      } else {
        r.li.remove()
        delete byId[r.c.id]
      }
      if (r.c.status == 'approved') setCount(count - 1)
      say(t.removed)
    }, (e) => say(e.message))
  }

  // The "Speak Your Mind" form: one form that moves under the comment being answered.
  const F = {}
  const E = {}
  const field = (name, text, tag, type, req, max, auto, note) => {
    const id = 'pf-' + name
    F[name] = h(tag, {
      id,
      name,
      type,
      required: req,
      maxlength: max,
      autocomplete: auto,
      rows: tag == 'textarea' ? 7 : null,
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
  const title = h('h3', { id: 'pft', text: t.speak })
  const cancel = h('button', { type: 'button', hidden: true, text: t.cancel, onclick: () => place(null, 1) })
  const remember = h('input', { type: 'checkbox' })
  const notify = h('input', { type: 'checkbox' })
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'pft', onsubmit: submit },
    title,
    field('author', t.name, 'input', 'text', 1, 80, 'name'),
    field('email', t.email, 'input', 'email', 1, 254, 'email', t.private),
    field('website', t.website, 'input', 'url', 0, 200, 'url'),
    field('text', t.text, 'textarea', null, 1, 10000),
    h('p', { class: 'h', 'aria-hidden': 'true' }, h('label', {}, t.hp, (F.hp = h('input', { name: 'hp', tabindex: -1, autocomplete: 'off' })))),
    h('p', { class: 'r' }, h('label', {}, notify, t.notify)),
    h('p', { class: 'r' }, h('label', {}, remember, t.remember)),
    h('p', {}, h('button', { class: 'p', text: t.post }), ' ', cancel),
    status,
  )
  const me = store('me')
  if (me) {
    remember.checked = true
    for (const k of ['author', 'email', 'website']) F[k].value = me[k] || ''
  }
  const draftKey = () => 'draft:' + site + uri + '#' + (parent || '')
  F.text.oninput = () => {
    draft.x = F.text.value
    store(draftKey(), draft)
  }

  function place(id, back) {
    const old = parent && byId[parent]
    const p = id && byId[id]
    parent = p ? id : null
    p ? p.art.after(form) : home.append(form)
    title.textContent = p ? fmt(t.replyTo, p.c.author) : t.speak
    cancel.hidden = !p
    draft = store(draftKey()) || { k: newKey() }
    F.text.value = draft.x || ''
    errors({})
    if (p) (F.author.value ? F.text : F.author).focus()
    if (back && old && old.rb) old.rb.focus()
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
    for (const k of ['author', 'email', 'text']) if (!v[k]) bad[k] = t.required
    if (v.email && !/^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$/.test(v.email)) bad.email = t.badEmail
    if (v.website && !/^https?:\/\/\S+$/i.test(v.website)) bad.website = t.badUrl
    if (errors(bad)) return say(t.fix)
    busy = 1
    say(t.sending)
    try {
      const j = await api('comments', {
        method: 'POST',
        body: {
          title: cfg.title || D.title,
          parent: parent || undefined,
          author: v.author,
          email: v.email,
          website: v.website || undefined,
          text: v.text,
          key: draft.k,
          hp: F.hp.value,
          notify: notify.checked,
        },
      })
      store('me', remember.checked ? { author: v.author, email: v.email, website: v.website } : null)
      const c = j.comment
      if (c.status == 'approved') c.number ||= count + 1
      mine[c.id] = { t: j.token, u: Date.parse(j.editable_until), x: v.text, c }
      saveMine()
      store(draftKey(), null)
      notify.checked = false
      const pr = parent && byId[parent]
      place(null)
      render(c)
      if (c.status == 'approved') {
        setCount(count + 1)
        if (pr) pr.c.replies++, replies(pr)
      }
      jump(c.id)
      say(j.code == 202 ? t.pending : t.posted)
    } catch (e) {
      errors(e.fields || {})
      say(e.message)
    }
    busy = 0
  }

  async function page(after) {
    try {
      const j = await (after ? api('comments?' + qs({ limit: 50, after })) : first)
      if (!after) {
        locked = j.thread.locked
        setCount(j.thread.count)
        if (locked) form.replaceChildren(status, t.closed)
      }
      j.comments.forEach(render)
      // Keyboard users land on the first comment that "Load more" brought in.
      if (after && j.comments[0]) byId[j.comments[0].id].art.focus()
      next = j.next
      more.hidden = !next
      // Own comments a cached or moderated read does not show yet.
      if (!next) for (const id in mine) render(mine[id].c)
    } catch (e) {
      if (!after) setCount(0)
      say(e.message)
    }
  }

  for (const id in mine) if (mine[id].u + 864e5 < Date.now()) delete mine[id]
  saveMine()
  place(null)
  page().then(fromHash)
}

if (site) {
  // The thread request starts at once; the page and the language load meanwhile.
  const first = api('comments?' + qs({ limit: 50 }))
  first.catch(() => {})
  Promise.all([
    loadLang(),
    new Promise((ok) => (D.readyState == 'loading' ? D.addEventListener('DOMContentLoaded', ok) : ok())),
  ]).then(() => {
    counts()
    thread(first)
  })
}
