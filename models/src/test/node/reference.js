#!/usr/bin/env node
// Reference forward pass with the official TF.js runtime (tfjs-core + tfjs-backend-cpu +
// tfjs-converter, pure JavaScript), for TfjsGearTest. No network: the model is read from disk
// through a custom IOHandler.
//
// usage: node reference.js MODEL_JSON INPUT_F32 SHAPE OUT_DIR NODE [NODE ...]
//   INPUT_F32: raw little-endian float32, row-major, of SHAPE (e.g. 1,198,198,3)
//   NODE: TF.js node names to fetch (outputs or intermediate layers)
// writes OUT_DIR/<k>.f32 (raw little-endian float32) for the k-th NODE and OUT_DIR/reference.json
// (node names, shapes, tfjs version, backend).
// Modules resolve from NODE_PATH (the test sets it to models/target/node_modules).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const converter = require('@tensorflow/tfjs-converter');
const { loadModel, loadInput } = require('./load.js');

async function main() {
  const [modelJson, inputFile, shapeText, outDir, ...nodes] = process.argv.slice(2);
  if (!outDir || nodes.length === 0) {
    console.error('usage: node reference.js MODEL_JSON INPUT_F32 SHAPE OUT_DIR NODE [NODE ...]');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  await tf.ready();

  const graphModel = await loadModel(converter, modelJson);
  const x = loadInput(tf, inputFile, shapeText);
  let outs = graphModel.execute(x, nodes);
  if (!Array.isArray(outs)) outs = [outs];
  fs.mkdirSync(outDir, { recursive: true });
  const meta = { tfjs: tf.version_core, backend: tf.getBackend(), outputs: [] };
  for (let k = 0; k < outs.length; k++) {
    const data = await outs[k].data();
    fs.writeFileSync(path.join(outDir, `${k}.f32`), Buffer.from(new Float32Array(data).buffer));
    meta.outputs.push({ node: nodes[k], shape: outs[k].shape, file: `${k}.f32` });
  }
  fs.writeFileSync(path.join(outDir, 'reference.json'), JSON.stringify(meta, null, 1));
  console.log(`reference: tfjs ${meta.tfjs} (${meta.backend}), ${outs.length} tensors -> ${outDir}`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
