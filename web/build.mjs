// node web/build.mjs NODE_MODULES OUT: bundles web/src into OUT/assets
// (names hashed by content) and writes OUT/index.html naming them.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve, basename } from 'node:path';
import { gzipSync } from 'node:zlib';

const [mods, out] = process.argv.slice(2).map((p) => resolve(p));
const require = createRequire(mods + '/');
const esbuild = require('esbuild');

const r = await esbuild.build({
	entryPoints: { app: 'web/src/main.jsx' },
	bundle: true,
	minify: true,
	format: 'esm',
	target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
	outdir: out + '/assets',
	entryNames: '[name].[hash]',
	chunkNames: '[name].[hash]',
	splitting: true,
	assetNames: '[name].[hash]',
	jsx: 'automatic',
	jsxImportSource: 'preact',
	nodePaths: [mods],
	legalComments: 'none',
	metafile: true,
	logLevel: 'warning',
});
let js, css;
for (const [file, o] of Object.entries(r.metafile.outputs)) {
	if (o.entryPoint === 'web/src/main.jsx' && file.endsWith('.js')) js = basename(file);
	if (file.endsWith('.css')) css = basename(file);
}
// the icon, hashed as esbuild names the rest
const svg = readFileSync('web/icon.svg');
const icon = `icon.${createHash('sha256').update(svg).digest('hex').slice(0, 8).toUpperCase()}.svg`;
writeFileSync(out + '/assets/' + icon, svg);
const page = readFileSync('web/index.html', 'utf8')
	.replace('@ICON@', '/assets/' + icon)
	.replace('@CSS@', '/assets/' + css)
	.replace('@JS@', '/assets/' + js);
writeFileSync(out + '/index.html', page);
const gz = gzipSync(readFileSync(out + '/assets/' + js), { level: 9 }).length;
console.log(`web: first load ${js} ${statSync(out + '/assets/' + js).size} bytes, ${gz} gzipped; ${css}`);
