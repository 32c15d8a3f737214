#!/usr/bin/env node
// Turns the models that npm nsfwjs (4.x) ships as browserify/UMD JavaScript modules back into TF.js
// model files: dist/models/NAME/model.min.js (the model.json object) and group1-shardKofN.min.js (each
// a base64 string of one weight shard, which nsfwjs's own loader decodes with Buffer.from(s, 'base64')).
// The modules are evaluated in an empty vm context (no require, no process, no fs): only the object or
// string they export is taken. The weights-manifest paths are given a ".bin" suffix to match the files.
//
// usage: node extract-nsfwjs.js PACKAGE_DIR OUT_DIR [NAME ...]
//   PACKAGE_DIR: the unpacked npm tarball's package/ folder; NAME: mobilenet_v2, mobilenet_v2_mid,
//   inception_v3 (default: every folder under dist/models)
// writes OUT_DIR/NAME/model.json and OUT_DIR/NAME/group1-shardKofN.bin; checks each shard's size against
// the manifest (check-tfjs-model.js) and prints each model.json path.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { checkModel } = require('./check-tfjs-model.js');

function evalModule(file) {
  const module = { exports: {} };
  const sandbox = { module, exports: module.exports };
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), sandbox, { filename: file, timeout: 60000 });
  return module.exports;
}

function extract(pkgDir, outDir, name) {
  const src = path.join(pkgDir, 'dist', 'models', name);
  const model = evalModule(path.join(src, 'model.min.js'));
  if (!model || typeof model !== 'object' || !model.modelTopology || !Array.isArray(model.weightsManifest)) {
    throw new Error(`${src}/model.min.js does not export a TF.js model.json object`);
  }
  const dst = path.join(outDir, name);
  fs.mkdirSync(dst, { recursive: true });
  for (const group of model.weightsManifest) {
    group.paths = group.paths.map((p) => {
      const b64 = evalModule(path.join(src, `${p}.min.js`));
      if (typeof b64 !== 'string') throw new Error(`${src}/${p}.min.js does not export a base64 string`);
      const bin = Buffer.from(b64, 'base64');
      if (bin.length !== Math.floor((b64.replace(/=+$/, '').length * 3) / 4)) {
        throw new Error(`${src}/${p}.min.js: not clean base64`);
      }
      const out = p.endsWith('.bin') ? p : `${p}.bin`;
      fs.writeFileSync(path.join(dst, out), bin);
      return out;
    });
  }
  // model.json last
  fs.writeFileSync(path.join(dst, 'model.json'), JSON.stringify(model));
  const r = checkModel(path.join(dst, 'model.json'));
  return r;
}

function main() {
  const [pkgDir, outDir, ...names] = process.argv.slice(2);
  if (!pkgDir || !outDir) {
    console.error('usage: node extract-nsfwjs.js PACKAGE_DIR OUT_DIR [NAME ...]');
    process.exit(2);
  }
  const all = fs.readdirSync(path.join(pkgDir, 'dist', 'models'))
    .filter((n) => fs.existsSync(path.join(pkgDir, 'dist', 'models', n, 'model.min.js'))).sort();
  for (const name of names.length ? names : all) {
    if (!all.includes(name)) throw new Error(`no model ${name} in ${pkgDir} (it has: ${all.join(', ')})`);
    const r = extract(pkgDir, outDir, name);
    console.error(`extract-nsfwjs: ${name}: ${r.kind}, ${r.weights} weights, ${r.bytes} bytes in ${r.shards} shard(s)`);
    console.log(r.file);
  }
}

try {
  main();
} catch (e) {
  console.error(`extract-nsfwjs: ${e.message}`);
  process.exit(1);
}
