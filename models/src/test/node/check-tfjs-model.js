#!/usr/bin/env node
// Checks TF.js model folders on disk: model.json parses, it is a graph or a layers model, and each
// weights-manifest group's shards exist and hold exactly the bytes that its weight specs need
// (shape x dtype size; quantized weights at their quantized size; no string weights expected).
// No TF.js runtime needed. Used by models/scripts/fetch-npm-models.sh and extract-nsfwjs.js.
//
// usage: node check-tfjs-model.js MODEL_JSON [MODEL_JSON ...]
// prints one line per model (kind, weights, bytes, shards); exits 1 on the first mismatch.
'use strict';
const fs = require('fs');
const path = require('path');

const BYTES = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

function specBytes(w) {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const dtype = w.quantization ? w.quantization.dtype : w.dtype;
  const size = BYTES[dtype];
  if (size === undefined) throw new Error(`weight ${w.name}: dtype ${dtype} has no fixed size`);
  return n * size;
}

function kindOf(model) {
  const t = model.modelTopology || {};
  if (model.format === 'graph-model' || Array.isArray(t.node)) return 'graph-model';
  if (model.format === 'layers-model' || t.model_config || t.class_name) return 'layers-model';
  throw new Error('neither a graph model (modelTopology.node) nor a layers model (model_config)');
}

function checkModel(modelJson) {
  let model;
  try {
    model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  } catch (e) {
    throw new Error(`${modelJson}: does not parse as JSON: ${e.message}`);
  }
  const kind = kindOf(model);
  if (!Array.isArray(model.weightsManifest)) throw new Error(`${modelJson}: no weightsManifest`);
  let weights = 0, bytes = 0, shards = 0;
  model.weightsManifest.forEach((group, g) => {
    const need = group.weights.reduce((a, w) => a + specBytes(w), 0);
    let have = 0;
    for (const p of group.paths) {
      const file = path.join(path.dirname(modelJson), p);
      if (!fs.existsSync(file)) throw new Error(`${modelJson}: group ${g}: shard ${p} is missing`);
      have += fs.statSync(file).size;
      shards++;
    }
    if (have !== need) {
      throw new Error(`${modelJson}: group ${g} (${group.paths.join(', ')}): shards hold ${have} bytes, its ${group.weights.length} weight specs need ${need}`);
    }
    weights += group.weights.length;
    bytes += have;
  });
  return { file: modelJson, kind, weights, bytes, shards };
}

module.exports = { checkModel, specBytes };

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node check-tfjs-model.js MODEL_JSON [MODEL_JSON ...]');
    process.exit(2);
  }
  try {
    for (const f of files) {
      const r = checkModel(f);
      console.log(`ok ${r.kind} ${r.weights} weights, ${r.bytes} bytes in ${r.shards} shard(s): ${f}`);
    }
  } catch (e) {
    console.error(`check-tfjs-model: ${e.message}`);
    process.exit(1);
  }
}
