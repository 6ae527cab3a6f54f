// The thread: comments, likes, the reader's own edits and deletions, sort, "Load more".
// thread(P) is called by the loader with P = {host, opt, site, uri, base, lang, t, api, qs,
// h, store, fmt, plural, label, first, sort, fr, bg}: the loader and a bundle of another version must still agree, so P
// only ever gains fields. The DOM is built with createElement and textContent; the only HTML
// ever inserted is the server-sanitized comment body (c.html).
import css from '../style.css'
import en from '../i18n/en.json'
import { btn, h, use } from './kit.js'
import { Form } from './form.js'
import * as hooks from './hooks.js'

const SORTS = ['oldest', 'newest', 'top']


export function thread(P) {
  use(P)
  const host = P.host, opt = P.opt, uri = P.uri, api = P.api, qs = P.qs, store = P.store, lang = P.lang
  const t = { ...en, ...P.t }
  const nested = opt.layout == 'nested'
  const fmt = P.fmt, plural = P.plural
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' })
  root.replaceChildren(h('style', { text: css }))
  P.fr && P.fr.remove()

  const mineKey = 'mine:' + P.site + uri
  const mine = store(mineKey) || {}
  const liked = store('liked') || []
  let next = null

  // Empty until the thread's count is known: a failed read never reads as an empty thread.
  const head = h('h2', { id: 'ph', tabindex: -1 })
  const list = h('ol')
  const more = btn(t.more, () => page(next), { hidden: true })
  const home = h('div')
  const status = h('p', { role: 'status' })
  const skip = btn(t.skip, () => top.F_.author.focus(), { class: 'v' })
  const pick = h(
    'select',
    { 'aria-label': t.sort, onchange: () => store('sort', (T.sort_ = pick.value)) || reload() },
    ...SORTS.map((s, i) => h('option', { value: s, text: t.sorts[i] })),
  )
  pick.value = P.sort
  root.append(
    h('section', { lang, 'aria-labelledby': 'ph' }, skip, h('div', { class: 't' }, head, pick), list, more, status, home),
  )

  // The thread's context, shared with the form and the feature modules (hooks.js).
  const T = {
    ...P,
    t,
    root,
    list,
    home,
    byId_: {}, // id -> {c, p, li_, art_, b_, lvl_, kids_, rb_}
    count_: 0,
    sort_: P.sort,
    mine_: mine,
    saveMine_: () => store(mineKey, mine),
    say_: (m) => (status.textContent = m || ''),
    // Errors look different from news: their own colour, an icon, and role="alert".
    fail_: (at, e) => {
      T.oops_ && T.oops_.remove()
      if (e) at.append((T.oops_ = h('p', { role: 'alert', class: 'e', text: e.message })))
    },
    setCount_: (n) => {
      head.textContent = P.label((T.count_ = n))
      document.querySelectorAll('[data-parley-count]').forEach((e) => {
        if (e.dataset.parleyCount == uri) e.textContent = head.textContent
      })
    },
    jump_: (id) => {
      const r = T.byId_[id]
      if (!r) return
      root.querySelectorAll('.hl').forEach((e) => e.classList.remove('hl'))
      r.art_.classList.add('hl')
      r.art_.scrollIntoView({ block: 'center' })
      r.art_.focus({ preventScroll: true })
    },
    render_: render,
  }
  const fail = T.fail_, say = T.say_, jump = T.jump_

  // A permalink to a comment past the first page reads on until it is there (seek).
  const fromHash = () => {
    const m = location.hash.match(/^#comment-(\w+)$/)
    if (m) seek(m[1])
  }
  addEventListener('hashchange', fromHash)
  const permalink = (id, cls, ...kids) =>
    h('a', { href: '#comment-' + id, class: cls, onclick: () => seek(id) }, ...kids)
  // A comment not on the pages read yet (another sort, a long thread): read on until it is.
  const seek = async (id) => {
    while (!T.byId_[id] && next) await page(next)
    jump(id)
  }

  // One comment's article, rebuilt whenever the comment changes (edit, delete, renumbering).
  function paint(r) {
    const c = r.c
    const own = mine[c.id]
    const ok = !c.deleted && c.status == 'approved'
    const web = c.website && /^https?:\/\//i.test(c.website) ? c.website : null
    const p = r.p
    const body = (r.b_ = h('div', { class: 'b' }))
    if (c.deleted) body.append(h('p', { class: 'x', text: t.deleted }))
    else {
      body.innerHTML = c.html // server-sanitized: the one place HTML goes in
      // A build-time fragment's own "@Parent:" (comments.html's a.re): the one below replaces it.
      body.querySelectorAll('.re').forEach((e) => e.remove())
    }
    // The seed's "@JKB: Agreed…" at the start of the text, on every reply (flat) or where
    // nesting stops (nested); the API names the parent under any sort, loaded or not.
    if (c.parent && (!nested || (p && p.lvl_ > 2))) {
      const f = body.firstChild
      ;(f && f.tagName == 'P' ? f : body).prepend(
        permalink(c.parent, null, '@' + (c.parent_author || (p && p.c.author) || '…') + ':'),
        ' ',
      )
    }
    if (c.status == 'pending') body.append(h('p', { class: 'x', text: t.pending }))
    const on = liked.includes(c.id)
    const foot = h(
      'footer',
      {},
      ok && !T.locked_
        ? (r.rb_ = btn(t.reply, () => reply.place_(c.id), { 'aria-label': fmt(t.replyTo, c.author) }))
        : null,
      ok
        ? btn(
            c.likes ? ' ' + c.likes : null,
            () =>
              api('comments/' + c.id + '/likes', { method: on ? 'DELETE' : 'POST', body: {} }).then((j) => {
                on ? liked.splice(liked.indexOf(c.id), 1) : liked.push(c.id)
                store('liked', liked)
                c.likes = j.likes
                paint(r)
                r.art_.querySelector('[aria-pressed]').focus()
              }, (e) => fail(r.art_, e)),
            { 'aria-pressed': on + '', 'aria-label': fmt(t.like, c.author) + ', ' + c.likes },
          )
        : null,
      c.replies ? h('span', { text: plural(t.replies, c.replies) }) : null,
      ...hooks.foot.map((f) => f(c, r, T)),
    )
    // Edit and Delete on the reader's own comments (pending too) while their token is valid.
    if (!c.deleted && own && own.u > Date.now()) {
      foot.append(
        btn(t.edit, () => edit(r, own)),
        btn(t.delete, () => remove(r, own)),
      )
      setTimeout(() => paint(r), own.u - Date.now())
    }
    const a = h(
      'article',
      { tabindex: -1, class: r.art_ && r.art_.className },
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
        ...hooks.head.map((f) => f(c, r, T)),
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
      body,
      foot,
    )
    r.art_ ? r.art_.replaceWith(a) : r.li_.prepend(a)
    r.art_ = a
  }

  function render(c, first) {
    const byId = T.byId_
    if (byId[c.id]) return
    const p = byId[c.parent]
    const r = (byId[c.id] = { c, p, lvl_: nested && p ? Math.min(p.lvl_ + 1, 3) : 1 })
    r.li_ = h('li', { id: 'comment-' + c.id })
    paint(r)
    if (r.lvl_ < 2) first ? list.prepend(r.li_) : list.append(r.li_)
    else if (p.lvl_ > 2) p.li_.parentNode.append(r.li_)
    else (p.kids_ || p.li_.appendChild((p.kids_ = h('ol')))).append(r.li_)
    return r
  }

  function edit(r, own) {
    const ta = h('textarea', { 'aria-label': t.text, rows: 5, maxlength: 10000 })
    ta.value = own.x || ''
    const box = h(
      'div',
      {},
      ta,
      btn(
        t.save,
        () =>
          api('comments/' + r.c.id, { method: 'PATCH', body: { text: ta.value.trim() } }, own.t).then(
            (j) => {
              own.x = ta.value.trim()
              own.c = r.c = { ...j.comment, number: r.c.number }
              T.saveMine_()
              paint(r)
              r.art_.focus()
              say(t.saved)
            },
            (e) => fail(box, e),
          ),
        { class: 'p' },
      ),
      btn(t.cancel, () => paint(r)),
    )
    r.b_.replaceWith(box)
    ta.focus()
  }

  function remove(r, own) {
    if (!confirm(t.confirm)) return
    const c = r.c
    api('comments/' + c.id + '?' + qs({}), { method: 'DELETE' }, own.t).then(() => {
      delete mine[c.id]
      T.saveMine_()
      if (r.li_.contains(reply.form_)) reply.place_()
      if (c.replies) {
        r.c = { ...c, deleted: true, number: null }
        paint(r)
      } else {
        r.li_.remove()
        delete T.byId_[c.id]
      }
      if (r.p) r.p.c.replies--, paint(r.p)
      if (c.status == 'approved' && c.number) {
        T.setCount_(T.count_ - 1)
        // Numbers count the visible comments: the later ones move up by one.
        for (const i in T.byId_) {
          const o = T.byId_[i]
          if (o.c.number > c.number) o.c.number--, paint(o)
        }
      }
      ;(r.p ? r.p.art_ : head).focus()
      say(t.removed)
    }, (e) => fail(r.art_, e))
  }

  const top = Form(T, 'pf-')
  const reply = (T.reply_ = Form(T, 'pr-', 1))
  T.paint_ = paint

  async function page(after, j) {
    try {
      // Pages of PAGE (widget/build.mjs, shared with the loader's first read): what a page view
      // that scrolls to the comments reads and carries (cost model: bench/RESULTS.md); "Load
      // more" brings the rest.
      j = await (j || api('comments?' + qs({ limit: PAGE, sort: T.sort_, ...(after && { after }) })))
      if (!after) {
        T.locked_ = j.thread.locked
        T.setCount_(j.thread.count)
        if (T.locked_) home.replaceChildren(h('p', { text: t.closed })), (skip.hidden = true)
      }
      hooks.read.forEach((f) => f(j, T))
      j.comments.forEach((c) => render(c))
      // Keyboard users land on the first comment that "Load more" brought in.
      if (after && j.comments[0]) T.byId_[j.comments[0].id].art_.focus()
      next = j.next
      more.hidden = !next
      fail()
      // Own comments a cached or moderated read does not show yet.
      if (!next) for (const id in mine) render(mine[id].c)
    } catch (e) {
      // The heading and the page's own count stay as they were; the reader can try again.
      fail(list, e)
      list.after(T.oops_) // an <ol> holds items only
      after || T.oops_.append(' ', btn(t.retry, () => page()))
    }
  }
  const reload = () => {
    T.byId_ = {}
    list.textContent = ''
    reply.place_()
    page()
  }

  for (const id in mine) if (mine[id].u < Date.now() - 864e5) delete mine[id]
  T.saveMine_()
  top.place_()
  hooks.mount.forEach((f) => f(T))
  page(0, P.first).then(fromHash)
}
