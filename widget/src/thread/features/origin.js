// Comments written elsewhere (backend/inbound/): "via Mastodon", "via Bluesky" or "via
// example.org" (the words are the language's `via`), linked to the original, the author's
// handle as its title.
import { head } from '../hooks.js'
import { h } from '../kit.js'

head.push((c, r, T, o) =>
  (o = c.origin)
    ? h('a', {
        class: 'x via',
        href: o.url,
        rel: 'nofollow ugc noopener',
        title: o.handle,
        text: T.fmt(T.t.via, { mastodon: 'Mastodon', bluesky: 'Bluesky' }[o.kind] || new URL(o.url).host),
      })
    : null,
)
