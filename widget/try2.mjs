import { build, transform } from 'esbuild'
import { minify } from 'terser'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
const g = s => gzipSync(s,{level:9}).length
const idx = readFileSync('widget/src/thread/index.js','utf8').replace(/^import '\.\/features.*$/gm,'')
const mk = (noCss, noStr) => ({ name:'x', setup(b){
  b.onLoad({filter:/\.css$/}, async a => { const {code} = await transform(readFileSync(a.path,'utf8'),{loader:'css',minify:true}); return {contents:`export default ${JSON.stringify(noCss?'':code.trim())}`, loader:'js'} })
  b.onLoad({filter:/en\.json$/}, a => { const s = JSON.parse(readFileSync(a.path,'utf8')); for (const k of ['comments','none','net']) delete s[k]; return {contents: noStr ? '{}' : JSON.stringify(s), loader:'json'} })
}})
for (const [a,b] of [[0,0],[1,0],[0,1],[1,1]]) {
  const code = (await build({ stdin:{contents:idx, resolveDir:'widget/src/thread'}, bundle:true, minify:true, format:'iife', target:['chrome90','firefox90','safari14'], legalComments:'none', charset:'utf8', plugins:[mk(a,b)], write:false, mangleProps:/_$/ })).outputFiles[0].text
  const out = await minify(code, { ecma: 2020, toplevel:true, compress: { passes: 5, unsafe:true, unsafe_arrows:true, pure_getters:true, keep_fargs:false }, format: { comments: false } })
  console.log('noCss',a,'noStr',b, g(out.code))
}
