// The page's announcement post on Mastodon or Bluesky (data-announce on the script tag or
// #parley): suggested once, only when the thread says it takes one (suggest_after passed), so
// not a request per page view. The server binds nothing by it: the worker checks that the
// post links to the page (backend/inbound/suggest.py).
import { read } from '../hooks.js'

read.push((j, T, u) => {
  if ((u = T.opt.announce) && !T.an_ && !(j.thread.suggest_after * 1e3 > Date.now()))
    (T.an_ = T.api('announce', { method: 'POST', body: { url: u } })).catch(() => {})
})
