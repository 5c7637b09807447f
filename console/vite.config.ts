import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

/** What a first visit downloads before the page works: the entry chunk and every chunk it imports statically. */
function initialJavaScript(): Plugin {
  return {
    name: 'gatehouse:initial-javascript',
    apply: 'build',
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find((chunk) => chunk.type === 'chunk' && chunk.isEntry)
      if (entry?.type !== 'chunk') return
      const seen = new Set<string>()
      const visit = (fileName: string) => {
        const chunk = bundle[fileName]
        if (seen.has(fileName) || chunk?.type !== 'chunk') return
        seen.add(fileName)
        for (const imported of chunk.imports) visit(imported)
      }
      visit(entry.fileName)
      let gzipped = 0
      for (const fileName of seen) {
        const chunk = bundle[fileName]
        if (chunk?.type === 'chunk') gzipped += gzipSync(chunk.code, { level: 9 }).length
      }
      this.info(`initial JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped in ${seen.size} file(s) (budget 200 KB)`)
    },
  }
}

// `npm run build` writes the console to dist/console; the server serves it under /console/.
// `npm run console:dev` serves it with hot reload and sends /console/api to a server on 127.0.0.1:4100.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [react(), initialJavaScript()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Everything is a file of its own: the server's CSP allows no inline script or style, and no data: script.
    assetsInlineLimit: 0,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/console/api': 'http://127.0.0.1:4100' },
  },
})
