// Builds the embed: widget/src/embed.js (+ CSS + English) -> backend/static/embed.js, minified,
// and each other language -> backend/static/widget/<lang>.js, loaded by the embed on demand.
// Run from anywhere: `node widget/build.mjs`. Prints the gzipped size (budget: 6144 bytes).
import { build, transform } from 'esbuild'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'widget', 'src')
const out = join(root, 'backend', 'static')

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

await build({
  entryPoints: [join(src, 'embed.js')],
  outfile: join(out, 'embed.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome90', 'firefox90', 'safari14'],
  legalComments: 'none',
  charset: 'utf8',
  plugins: [cssText],
  logLevel: 'warning',
})

mkdirSync(join(out, 'widget'), { recursive: true })
for (const file of readdirSync(join(src, 'i18n'))) {
  const lang = file.replace(/\.json$/, '')
  if (lang == file || lang == 'en') continue // English is bundled
  const strings = JSON.stringify(JSON.parse(readFileSync(join(src, 'i18n', file), 'utf8')))
  writeFileSync(join(out, 'widget', lang + '.js'), `(self.parleyL10n=self.parleyL10n||{}).${lang}=${strings};\n`)
}

const embed = readFileSync(join(out, 'embed.js'))
// The brotli twin, served to clients that accept `br` (backend/api/meta.py): compressed once
// here at the highest quality, where no request waits for it. Written after embed.js, so a
// twin older than the script is known stale and never served.
const brotli = brotliCompressSync(embed, {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 11,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    [constants.BROTLI_PARAM_SIZE_HINT]: embed.length,
  },
})
writeFileSync(join(out, 'embed.js.br'), brotli)
const size = gzipSync(embed, { level: 9 }).length
console.log(`backend/static/embed.js: ${size} bytes gzipped (budget 6144), ${brotli.length} with brotli`)
