// The thread bundle's entry: the thread, the form, and the feature modules. The loader
// (../embed.js) loads this file when the reader nears #parley and calls parleyThread(P).
// A feature is one module in ./features/ that registers itself through hooks.js, and one
// line here: import './features/NAME.js' (its bytes: widget.json, tests/test_widget_size.py).
import { thread } from './thread.js'
import './features/origin.js'
import './features/reactions.js'
import './features/desk.js'
import './features/reader.js'
import './features/proof.js'
import './features/announce.js'
import './features/avatar.js'

self.parleyThread = thread
