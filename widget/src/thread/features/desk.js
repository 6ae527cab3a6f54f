// The owner's desk, as readers see it: the "Author" badge on the site owner's comments (from
// author_role, which only the admin token gives: never from a name), the pinned comment first
// with a "Pinned" label and its own number, and [data-parley-recent="5"] boxes on the page
// filled with the site's latest approved comments (GET /api/v1/recent) when the thread loads.
// English words live here (the core's strings stay as they are); other languages may set
// `author`, `pinned` in src/i18n/*.json.
import { head, mount, read } from '../hooks.js'
import { h } from '../kit.js'

const tag = (text) => h('span', { class: 'o', text })

read.push((j, T, p) => {
  T.pin_ = j.thread.pinned
  // The first page carries the pinned comment (it may live on a later page); a taken-over
  // fragment has it among its comments.
  if ((p = j.pinned || j.comments.find((c) => c.id == T.pin_)))
    j.comments = [p, ...j.comments.filter((c) => c.id != p.id)]
})

head.push((c, r, T) => (c.author_role ? tag(T.t.author || 'Author') : null))
head.push((c, r, T) => (c.id == T.pin_ ? tag(T.t.pinned || 'Pinned') : null))

mount.push((T) => {
  T.root.firstChild.append('.o{border:1px solid;border-radius:1em;padding:0 .5em;font-size:.8em}') // the root's one <style>
  document.querySelectorAll('[data-parley-recent]').forEach((e) =>
    T.api('recent?site=' + T.site + '&limit=' + e.dataset.parleyRecent).then(
      (j) =>
        e.replaceChildren(
          h('ul', { class: 'parley-recent' }, ...j.comments.map((c) => h('li', {}, h('a', { href: c.url, text: c.author }), ': ' + c.excerpt))),
        ),
      () => {},
    ),
  )
})
