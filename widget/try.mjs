import { build } from 'esbuild'
import { minify } from 'terser'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
const src = 'widget/src/thread/index.js'
const idx = readFileSync(src,'utf8').replace(/^import '\.\/features.*$/gm,'')
const cssText = { name:'css', setup(b){ b.onLoad({filter:/\.css$/}, async a => { const {transform} = await import('esbuild'); const {code} = await transform(readFileSync(a.path,'utf8'),{loader:'css',minify:true}); return {contents:`export default ${JSON.stringify(code.trim().replace(/(--[\w-]+): /g,'$1:'))}`, loader:'js'} }) } }
const code = (await build({ stdin:{contents:idx, resolveDir:'widget/src/thread'}, bundle:true, minify:true, format:'iife', target:['chrome90','firefox90','safari14'], legalComments:'none', charset:'utf8', plugins:[cssText], write:false, mangleProps:/_$/ })).outputFiles[0].text
const g = s => gzipSync(s,{level:9}).length
console.log('esbuild', g(code))
const sets = {
  cur: { compress: { passes: 3 } },
  unsafe: { compress: { passes: 3, unsafe: true, unsafe_arrows: true, unsafe_methods: true, pure_getters: true, unsafe_comps: true, booleans_as_integers: true, keep_fargs: false } },
  unsafe5: { toplevel: true, compress: { passes: 5, unsafe: true, unsafe_arrows: true, unsafe_methods: true, pure_getters: true, unsafe_comps: true, keep_fargs: false, hoist_funs: true } },
  ecma: { ecma: 2020, module: false, compress: { passes: 3, unsafe: true, unsafe_arrows: true, pure_getters: true, keep_fargs: false }, mangle: { toplevel: true } },
}
for (const [n, o] of Object.entries(sets)) { const out = await minify(code, { ecma: 2020, format: { comments: false }, ...o }); console.log(n, g(out.code)) }
