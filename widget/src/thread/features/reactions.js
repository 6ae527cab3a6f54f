// Likes and reposts of the thread's announcement posts on Mastodon and Bluesky
// (backend/inbound/pull.py) and of the page by Webmention (backend/inbound/webmention.py):
// a count beside the heading, never comments.
import { read } from '../hooks.js'
import { h } from '../kit.js'

read.push((j, T, x) => {
  if ((x = j.thread.reactions))
    (T.rx_ ||= T.root.querySelector('.t').appendChild(h('span', { class: 'x' }))).textContent =
      '♥ ' + x.likes + ' ⟳ ' + x.reposts
})
