// Proof of work (backend/spam/proof.py, docs/moderation.md): when the reader starts on a
// form, the challenge (GET /api/v1/challenge, ALTCHA protocol v2, PBKDF2) is fetched and
// solved while they type; the post carries the payload as `proof`. A proof the server refuses
// (422 `proof`: expired, or spent by a post whose write then failed) is replaced by a fresh
// one and the post sent once more; the form keeps everything typed either way.
// Each try is one Web Crypto deriveBits, computed by the browser off the main thread; this
// loop only awaits it, so typing never stutters (bench/proof_solve.py measures both).
import { mount } from '../hooks.js'

const bytes = (x) => Uint8Array.from(x.match(/../g), (b) => parseInt(b, 16))
const hex = (n, w) => n.toString(16).padStart(w, 0) // n in w hex digits

// ALTCHA v2 as the `altcha` library verifies it: the password is the nonce's bytes and the
// counter as a big-endian uint32, the salt the salt's bytes; a counter solves it when the
// derived key, in hex, starts with keyPrefix. The payload is base64 of
// {challenge, solution: {counter, derivedKey}}, the challenge exactly as it came.
export async function solve(c, S = crypto.subtle) {
  const p = c.parameters
  for (let n = 0; n <= 1e7; n++) {
    // the server's counter is at most proof_max (backend/sites.py)
    const bits = await S.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: bytes(p.salt), iterations: p.cost },
      await S.importKey('raw', bytes(p.nonce + hex(n, 8)), 'PBKDF2', false, ['deriveBits']),
      256,
    )
    const k = Array.from(new Uint8Array(bits), (b) => hex(b, 2)).join('')
    if (k.startsWith(p.keyPrefix)) return btoa(JSON.stringify({ challenge: c, solution: { counter: n, derivedKey: k } }))
  }
}

// proof: the promise of a payload for the next post, fetched and solved in the background.
mount.push((T, api = T.api, proof, get = () => (proof ||= api('challenge?site=' + T.site).then(solve))) => {
  T.root.addEventListener('focusin', (e) => e.target.form && get())
  // The form posts through T.api('comments', ...). Each try spends the proof it carries: a
  // retry of the same draft with a fresh proof is answered with the first post's comment.
  T.api = async (path, o, token, again, p) => {
    if (path != 'comments') return api(path, o, token)
    p = get()
    proof = 0
    try {
      return await api(path, { ...o, body: { ...o.body, proof: await p } }, token)
    } catch (e) {
      if (again || e.code != 'proof') throw e
      return T.api(path, o, token, 1)
    }
  }
})
