// Parley embed: one script tag renders a page's comment thread and fills every
// [data-parley-count] element. Security rule: the DOM is built with createElement and
// textContent; the only HTML ever inserted is the server-sanitized comment body (c.html).
import css from './style.css'
import en from './i18n/en.json'
import { h, store, newKey } from './dom.js'

// Captured synchronously: currentScript is null once this first run is over.
const S = document.currentScript
const D = document
const cfg = (S && S.dataset) || {}
// The API lives beside embed.js, so the widget works when pasted on another origin.
const base = S ? new URL('.', S.src).href.replace(/\/$/, '') : ''
const site = cfg.site
const PAGE = 20 // comments per request (see page())
const uri = cfg.uri || location.pathname
const LANGS = /^(uk|de|fr|es)$/
const SORTS = ['oldest', 'newest', 'top']
let lang = (cfg.lang || D.documentElement.lang || 'en').slice(0, 2).toLowerCase()
let t = en

const fmt = (s, n) => s.replace('{n}', n)
const plural = (o, n) => fmt(o[new Intl.PluralRules(lang).select(n)] || o.other, n)
const label = (n) => (n ? plural(t.comments, n) : t.none)

// Other languages are small scripts beside the embed, loaded only when asked for.
const loadLang = () =>
  new Promise((done) => {
    if (!LANGS.test(lang)) return done((lang = 'en'))
    const s = h('script', { src: base + '/widget/' + lang + '.js' }) // async: it is inserted by script
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
  for (let i = 0; i < uris.length; i += 100)
    api('counts?' + new URLSearchParams([['site', site], ...uris.slice(i, i + 100).map((u) => ['uri', u])])).then(
      (j) => els.forEach((e) => (e.textContent = label(j.counts[e.dataset.parleyCount] ?? 0))),
      () => {},
    )
  return els
}

function thread(host) {
  if (!host) S.after((host = h('div', { id: 'parley' })))
  const opt = { ...cfg, ...host.dataset }
  const nested = opt.layout == 'nested'
  // A thread rendered at build time (GET /api/v1/comments.html) is taken over, not fetched again.
  const fr = host.querySelector('[data-parley]')
  const root = host.attachShadow({ mode: 'open' })
  root.append(h('style', { text: css }))

  // "auto" follows the page itself: the first opaque background behind #parley, else the
  // canvas, which is dark only when the page's color-scheme allows dark and the reader wants it.
  const dark = matchMedia('(prefers-color-scheme:dark)')
  const scheme = () => {
    if (opt.theme == 'dark' || opt.theme == 'light') return opt.theme
    for (let e = host; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor.match(/[\d.]+/g)
      if (c && c[3] != 0) return c[0] * 0.3 + c[1] * 0.59 + c[2] * 0.11 < 128 ? 'dark' : 'light'
    }
    const cs = getComputedStyle(D.documentElement).colorScheme
    return /dark/.test(cs) && (!/light/.test(cs) || dark.matches) ? 'dark' : 'light'
  }
  const paintScheme = () => (host.dataset.scheme = scheme())
  dark.onchange = paintScheme
  paintScheme()

  let byId = {} // id -> {c, p, li, art, lvl, kids, rb}
  const mineKey = 'mine:' + site + uri
  const mine = store(mineKey) || {}
  const saveMine = () => store(mineKey, mine)
  const liked = store('liked') || []
  let sort = store('sort') || 'oldest'
  let count = 0
  let next = null
  let locked = false
  let oops

  const head = h('h2', { id: 'ph', tabindex: -1 })
  const list = h('ol')
  const more = h('button', { type: 'button', hidden: true, text: t.more, onclick: () => page(next) })
  const home = h('div')
  const status = h('p', { role: 'status' })
  const skip = h('button', { type: 'button', class: 'v', text: t.skip, onclick: () => top.F.text.focus() })
  const pick = h(
    'select',
    { 'aria-label': t.sort, onchange: () => store('sort', (sort = pick.value)) || reload() },
    ...SORTS.map((s, i) => h('option', { value: s, text: t.sorts[i] })),
  )
  pick.value = sort
  root.append(
    h('section', { lang, 'aria-labelledby': 'ph' }, skip, h('div', { class: 't' }, head, pick), list, more, status, home),
  )
  const say = (m) => (status.textContent = m || '')
  // Errors look different from news: their own colour, an icon, and role="alert".
  const fail = (at, e) => {
    oops && oops.remove()
    if (e) at.append((oops = h('p', { role: 'alert', class: 'e', text: e.message })))
  }

  const setCount = (n) => {
    head.textContent = label((count = n))
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

  // One comment's article, rebuilt whenever the comment changes (edit, delete, renumbering).
  function paint(r) {
    const c = r.c
    const own = mine[c.id]
    const ok = !c.deleted && c.status == 'approved'
    const web = c.website && /^https?:\/\//i.test(c.website) ? c.website : null
    const p = r.p
    const body = (r.b = h('div', { class: 'b' }))
    if (c.deleted) body.append(h('p', { class: 'x', text: t.deleted }))
    else body.innerHTML = c.html // server-sanitized: the one place HTML goes in
    if (c.status == 'pending') body.append(h('p', { class: 'x', text: t.pending }))
    const on = liked.includes(c.id)
    const foot = h(
      'footer',
      {},
      ok && !locked
        ? (r.rb = h('button', { type: 'button',
            text: t.reply,
            'aria-label': fmt(t.replyTo, c.author),
            onclick: () => reply.place(c.id),
          }))
        : null,
      ok
        ? h(
            'button',
            {
              type: 'button',
              'aria-pressed': on + '',
              'aria-label': fmt(t.like, c.author) + ', ' + c.likes,
              onclick: () =>
                api('comments/' + c.id + '/likes', { method: on ? 'DELETE' : 'POST', body: {} }).then((j) => {
                  on ? liked.splice(liked.indexOf(c.id), 1) : liked.push(c.id)
                  store('liked', liked)
                  c.likes = j.likes
                  paint(r)
                  r.art.querySelector('[aria-pressed]').focus()
                }, (e) => fail(r.art, e)),
            },
            c.likes ? ' ' + c.likes : null,
          )
        : null,
    )
    // Edit and Delete on the reader's own comments (pending too) while their token is valid.
    if (!c.deleted && own && own.u > Date.now()) {
      foot.append(
        h('button', { type: 'button', text: t.edit, onclick: () => edit(r, own) }),
        h('button', { type: 'button', text: t.delete, onclick: () => remove(r, own) }),
      )
      setTimeout(() => paint(r), own.u - Date.now())
    }
    const a = h(
      'article',
      { tabindex: -1, class: r.art && r.art.className },
      h(
        'header',
        {},
        c.number && ok ? h('span', { class: 'n', text: c.number + '.' }) : null,
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
            text: new Date(c.created).toLocaleString(lang, { dateStyle: 'long', timeStyle: 'short' }),
          }),
        ),
        c.edited ? h('span', { class: 'x', text: t.edited }) : null,
      ),
      // The seed's "@JKB:" on every reply (flat), or where nesting stops (nested).
      c.parent && (!nested || (p && p.lvl > 2))
        ? h('p', {}, permalink(c.parent, null, '@' + ((p && p.c.author) || '…') + ':'))
        : null,
      body,
      foot,
    )
    r.art ? r.art.replaceWith(a) : r.li.prepend(a)
    r.art = a
  }

  function render(c, first) {
    if (byId[c.id]) return
    const p = byId[c.parent]
    const r = (byId[c.id] = { c, p, lvl: nested && p ? Math.min(p.lvl + 1, 3) : 1 })
    r.li = h('li', { id: 'comment-' + c.id })
    paint(r)
    if (r.lvl < 2) first ? list.prepend(r.li) : list.append(r.li)
    else if (p.lvl > 2) p.li.parentNode.append(r.li)
    else (p.kids || p.li.appendChild((p.kids = h('ol')))).append(r.li)
    return r
  }

  function edit(r, own) {
    const ta = h('textarea', { 'aria-label': t.text, rows: 5, maxlength: 10000 })
    ta.value = own.x || ''
    const done = () => paint(r)
    const box = h(
      'div',
      {},
      ta,
      h('button', { type: 'button',
        class: 'p',
        text: t.save,
        onclick: () =>
          api('comments/' + r.c.id, { method: 'PATCH', body: { text: ta.value.trim() } }, own.t).then(
            (j) => {
              own.x = ta.value.trim()
              own.c = r.c = { ...j.comment, number: r.c.number }
              saveMine()
              paint(r)
              r.art.focus()
              say(t.saved)
            },
            (e) => fail(box, e),
          ),
      }),
      h('button', { type: 'button', text: t.cancel, onclick: done }),
    )
    r.b.replaceWith(box)
    ta.focus()
  }

  function remove(r, own) {
    if (!confirm(t.confirm)) return
    const c = r.c
    api('comments/' + c.id + '?' + qs({}), { method: 'DELETE' }, own.t).then(() => {
      delete mine[c.id]
      saveMine()
      if (r.li.contains(reply.form)) reply.place()
      if (c.replies) {
        r.c = { ...c, deleted: true, number: null }
        paint(r)
      } else {
        r.li.remove()
        delete byId[c.id]
      }
      if (r.p) r.p.c.replies--
      if (c.status == 'approved' && c.number) {
        setCount(count - 1)
        // Numbers count the visible comments: the later ones move up by one.
        for (const i in byId) if (byId[i].c.number > c.number) byId[i].c.number--, paint(byId[i])
      }
      ;(r.p ? r.p.art : head).focus()
      say(t.removed)
    }, (e) => fail(r.art, e))
  }

  // The "Speak Your Mind" form. The top-level one stays under the thread; a second one moves
  // under the comment being answered, so neither draft leaves the screen.
  function Form(pre, sub) {
    const F = {}
    const E = {}
    let parent = null
    let draft
    let busy
    const field = (name, text, tag, type, req, max, auto, note) => {
      const id = pre + name
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
    const title = h('h3', { id: pre + 't', text: t.speak })
    const cancel = h('button', { type: 'button', hidden: !sub, text: t.cancel, onclick: () => place(0, 1) })
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
      field('author', t.name, 'input', 'text', 1, 80, 'name'),
      field('email', t.email, 'input', 'email', 1, 254, 'email', t.private),
      field('website', t.website, 'input', 'url', 0, 200, 'url'),
      field('text', t.text, 'textarea', null, 1, 10000),
      h('p', { class: 'v', 'aria-hidden': 'true' }, h('label', {}, t.hp, (F.hp = h('input', { name: 'hp', tabindex: -1, autocomplete: 'off' })))),
      h('p', { class: 'r' }, h('label', {}, notify, t.notify)),
      h('p', { class: 'r' }, h('label', {}, remember, t.remember)),
      h('p', {}, h('button', { class: 'p', text: t.post }), ' ', cancel),
    )
    const draftKey = () => 'draft:' + site + uri + '#' + (parent || '')

    function place(id, back) {
      const old = byId[parent]
      const p = byId[id]
      parent = p ? id : null
      p ? p.art.after(form) : sub ? form.remove() : home.append(form)
      if (sub) title.textContent = p ? fmt(t.replyTo, p.c.author) : ''
      draft = store(draftKey()) || { k: newKey() }
      const me = store('me') || {}
      for (const k of ['author', 'email', 'website']) F[k].value = me[k] || ''
      remember.checked = !!me.r
      notify.checked = false
      F.text.value = draft.x || ''
      errors({})
      if (p) (F.author.value ? F.text : F.author).focus()
      if (back && old) old.rb.focus()
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
      if (errors(bad)) return fail(form, { message: t.fix })
      busy = 1
      fail()
      say(t.sending)
      try {
        const j = await api('comments', {
          method: 'POST',
          // v: author, email, website, text, hp (an empty website or parent reads as none).
          body: { ...v, title: cfg.title || D.title, parent, key: draft.k, notify: notify.checked },
        })
        if (!remember.checked) store('me', null)
        const c = j.comment
        if (c.status == 'approved') c.number ||= count + 1
        mine[c.id] = { t: j.token, u: Date.parse(j.editable_until), x: v.text, c }
        saveMine()
        store(draftKey(), null)
        const pr = byId[parent]
        place()
        render(c, sort == 'newest')
        if (c.status == 'approved') {
          setCount(count + 1)
          if (pr) pr.c.replies++
        }
        jump(c.id, 1)
        say(j.code == 202 ? t.pending : t.posted)
      } catch (e) {
        errors(e.fields || {})
        fail(form, { message: e.message + (e.fields ? '' : ' ' + t.kept) })
        say()
      }
      busy = 0
    }
    return { form, place, F }
  }
  const top = Form('pf-')
  const reply = Form('pr-', 1)

  async function page(after, j) {
    try {
      // Pages of 20: a page view that scrolls to the comments costs half what a page of 50 does
      // in DynamoDB reads and transfer (cost model: bench/RESULTS.md); "Load more" brings the rest.
      j ||= await api('comments?' + qs({ limit: PAGE, sort, ...(after && { after }) }))
      if (!after) {
        locked = j.thread.locked
        setCount(j.thread.count)
        if (locked) home.replaceChildren(h('p', { text: t.closed })), (skip.hidden = true)
      }
      j.comments.forEach((c) => render(c))
      // Keyboard users land on the first comment that "Load more" brought in.
      if (after && j.comments[0]) byId[j.comments[0].id].art.focus()
      next = j.next
      more.hidden = !next
      // Own comments a cached or moderated read does not show yet.
      if (!next) for (const id in mine) render(mine[id].c)
    } catch (e) {
      if (!after) setCount(0)
      fail(list, e)
    }
  }
  const reload = () => {
    byId = {}
    list.textContent = ''
    reply.place()
    page()
  }

  for (const id in mine) if (mine[id].u + 864e5 < Date.now()) delete mine[id]
  saveMine()
  top.place()
  // The taken-over fragment: its thread, its comments and each body's sanitized HTML.
  const taken = (j) => {
    j.comments = [...fr.querySelectorAll('[data-c]')].map((e) => ({
      ...JSON.parse(e.dataset.c),
      html: e.querySelector('[itemprop=text]').innerHTML,
    }))
    fr.remove()
    return j
  }
  // Lazy: the thread is read when #parley nears the viewport, or at once for a permalink.
  const go = () => {
    io.disconnect()
    paintScheme()
    const j = fr && JSON.parse(fr.dataset.parley)
    page(0, j && j.sort == sort && taken(j)).then(fromHash)
  }
  const io = new IntersectionObserver((es) => es[0].isIntersecting && go(), { rootMargin: '800px' })
  ;/^#comment-/.test(location.hash) ? go() : io.observe(host)
}

if (site)
  Promise.all([
    loadLang(),
    new Promise((ok) => (D.readyState == 'loading' ? D.addEventListener('DOMContentLoaded', ok) : ok())),
  ]).then(() => {
    // An index page (count links, none of them for this page, no #parley) gets counts only.
    const host = D.getElementById('parley')
    const els = counts()
    if (host || !els.length || els.some((e) => e.dataset.parleyCount == uri)) thread(host)
  })
