// Builds the widget into backend/static/:
//   embed.js                 the loader (src/embed.js): counts, theme, the lazy trigger; short-lived
//   widget/thread.<hash>.js  the thread bundle (src/thread/index.js), named by its content, so
//                            it is cached for a year and a new build is a new name
//   widget/<lang>.js         each language but English (bundled), loaded on demand
//   widget.json              the bundle's name (which the API serves and names in its answers)
//                            and the sizes: loader, bundle, the bundle's core, each feature
// and a brotli twin (.br) of the loader and the bundle, compressed once here at the highest
// quality. Run from anywhere: `node widget/build.mjs`; prints the sizes (budgets:
// tests/test_widget_size.py).
import { build, transform } from 'esbuild'
import { minify } from 'terser'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'widget', 'src')
const out = join(root, 'backend', 'static')
const widget = join(out, 'widget')

// CSS is imported as a minified string and put into the shadow root by the script.
const cssText = {
  name: 'css-text',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await transform(readFileSync(args.path, 'utf8'), { loader: 'css', minify: true })
      // esbuild keeps the space after a custom property's colon; it is never needed.
      const text = code.trim().replace(/(--[\w-]+): /g, '$1:')
      return { contents: `export default ${JSON.stringify(text)}`, loader: 'js' }
    })
  },
}

// The strings the loader bundles (src/embed.js imports them by name) reach the bundle through
// the handoff (P.t), so the bundle's English leaves them out.
const LOADER_STRINGS = ['comments', 'none', 'net']
const bundleStrings = {
  name: 'bundle-strings',
  setup(b) {
    b.onLoad({ filter: /i18n[\\/]en\.json$/ }, (args) => {
      const strings = JSON.parse(readFileSync(args.path, 'utf8'))
      for (const key of LOADER_STRINGS) delete strings[key]
      return { contents: JSON.stringify(strings), loader: 'json' }
    })
  },
}

// A page of the thread: the loader's first read and each "Load more" (the bundle's) ask for
// this many comments, one constant for both. 10: a page view that scrolls to the comments
// reads and carries half of what a page of 20 does (cost model: bench/RESULTS.md).
const PAGE = '10'

const common = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome90', 'firefox90', 'safari14'],
  legalComments: 'none',
  charset: 'utf8',
  plugins: [cssText],
  logLevel: 'warning',
  write: false,
}

// The bundle first: the loader carries its name. Properties ending in "_" are the bundle's
// own (the thread's context shared by its modules) and are shortened; the loader's handoff
// (P) keeps its names, since a loader and a bundle of other builds must agree on them.
// esbuild bundles and minifies; terser's second pass takes a few percent more off.
const squeeze = async (options, more) => {
  const code = (await build({ ...common, ...options })).outputFiles[0].text
  // unsafe: the widget never relies on what those rewrites assume away (getters with effects,
  // a function's length, comparisons of mixed types).
  const out = await minify(code, {
    ecma: 2020,
    toplevel: true,
    compress: { passes: 5, unsafe: true, unsafe_arrows: true, unsafe_methods: true, pure_getters: true, unsafe_comps: true, keep_fargs: false, ...more },
    format: { comments: false },
  })
  return Buffer.from(out.code)
}
const entry = join(src, 'thread', 'index.js')
// The bundle's declarations hoisted into one per function: 17 B less gzipped (the loader's grow).
const HOIST = { hoist_vars: true }
const bundleOptions = { mangleProps: /_$/, plugins: [cssText, bundleStrings], define: { PAGE } }
const thread = await squeeze({ ...bundleOptions, entryPoints: [entry] }, HOIST)
const bundle = 'thread.' + createHash('sha256').update(thread).digest('hex').slice(0, 12) + '.js'
const loader = await squeeze({ entryPoints: [join(src, 'embed.js')], define: { BUNDLE: JSON.stringify(bundle), PAGE } })

const brotli = (data) =>
  brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  })

// Each file is replaced whole (written aside, then renamed), so a server reading the folder
// while the tests build again never sees half a file; only bundles of other builds go.
const put = (path, data) => {
  writeFileSync(path + '.' + process.pid, data)
  renameSync(path + '.' + process.pid, path)
}
mkdirSync(widget, { recursive: true })
for (const file of readdirSync(widget))
  if (/^thread\./.test(file) && !file.startsWith(bundle)) rmSync(join(widget, file), { force: true })
for (const file of readdirSync(join(src, 'i18n'))) {
  const lang = file.replace(/\.json$/, '')
  if (lang == file || lang == 'en') continue // English is bundled
  const strings = JSON.stringify(JSON.parse(readFileSync(join(src, 'i18n', file), 'utf8')))
  put(join(widget, lang + '.js'), `(self.parleyL10n=self.parleyL10n||{}).${lang}=${strings};\n`)
}
// Each twin is written after its script, so a twin older than the script is known stale and
// never served (backend/api/meta.py).
const sizes = {}
for (const [path, data] of [
  [join(widget, bundle), thread],
  [join(out, 'embed.js'), loader],
]) {
  put(path, data)
  const br = brotli(data)
  put(path + '.br', br)
  sizes[path.endsWith('embed.js') ? 'loader' : 'bundle'] = { gzip: gzipSync(data, { level: 9 }).length, brotli: br.length }
}
// Each feature's bytes: the bundle without any feature module (index.js's imports of
// ./features/), then with each one alone; the allotments are checked by
// tests/test_widget_size.py.
const index = readFileSync(entry, 'utf8')
const FEATURE = /^import '\.\/features\/([\w-]+)\.js'.*$/gm
const names = [...index.matchAll(FEATURE)].map((m) => m[1])
const variant = async (keep) => {
  const contents = index.replace(FEATURE, (line, name) => (name == keep ? line : ''))
  const code = await squeeze({ ...bundleOptions, stdin: { contents, resolveDir: dirname(entry), sourcefile: 'index.js' } }, HOIST)
  return gzipSync(code, { level: 9 }).length
}
const core = await variant(null)
sizes.core = { gzip: core }
sizes.features = {}
for (const name of names) sizes.features[name] = { gzip: (await variant(name)) - core }
put(join(out, 'widget.json'), JSON.stringify({ bundle, sizes }, null, 2) + '\n')
const { loader: l, bundle: b } = sizes
console.log(
  `widget: loader ${l.gzip} B gzipped (${l.brotli} brotli), bundle ${bundle} ${b.gzip} B gzipped (${b.brotli} brotli), ` +
    `together ${l.gzip + b.gzip} B (budgets: loader 2048, together 8192, today's bundle 5000); ` +
    `core ${core} B` + names.map((n) => `, ${n} +${sizes.features[n].gzip} B`).join(''),
)
