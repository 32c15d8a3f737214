// Shared by reference.js, gradient.js and attribution.js: a TF.js graph model from disk (no network: a custom
// IOHandler hands the converter model.json's topology and its concatenated weight shards), and a raw
// little-endian float32 input file as a tensor of the given shape.
'use strict';
const fs = require('fs');
const path = require('path');
const { register } = require('module');
const { pathToFileURL } = require('url');

async function loadModel(converter, modelJson) {
  const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const specs = [];
  const buffers = [];
  for (const group of model.weightsManifest || []) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(modelJson), p)));
    specs.push(...group.weights);
  }
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
  return converter.loadGraphModel({
    load: async () => ({
      modelTopology: model.modelTopology,
      format: model.format,
      generatedBy: model.generatedBy,
      convertedBy: model.convertedBy,
      signature: model.signature,
      userDefinedMetadata: model.userDefinedMetadata,
      weightSpecs: specs,
      weightData,
    }),
  });
}

function loadInput(tf, inputFile, shapeText) {
  const shape = shapeText.split(',').map(Number);
  const raw = fs.readFileSync(inputFile);
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const expected = shape.reduce((a, b) => a * b, 1);
  if (values.length !== expected) throw new Error(`input ${inputFile} holds ${values.length} floats, shape ${shape} needs ${expected}`);
  return tf.tensor(values, shape, 'float32');
}

const HOOKS = `
const DIST = '/@tensorflow/tfjs-core/dist/';
export async function resolve(spec, ctx, next) {
  if (ctx.parentURL && ctx.parentURL.includes(DIST) && spec.startsWith('.') && !spec.endsWith('.js')) spec += '.js';
  return next(spec, ctx);
}
export async function load(url, ctx, next) {
  return next(url, url.includes(DIST) && url.endsWith('.js') ? { ...ctx, format: 'module' } : ctx);
}`;

// tfjs-core's gradient functions (see gradient.js for why a loader hook is needed), the ops' checked present.
async function registerGradients(tf, ops = ['Conv2D', 'MaxPool', 'Max', 'Multiply', 'Add', 'Slice', 'Reshape']) {
  register('data:text/javascript,' + encodeURIComponent(HOOKS));
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-core'));
  await import(pathToFileURL(path.join(dist, 'register_all_gradients.js')).href);
  for (const k of ops) {
    if (!tf.getGradient(k)) throw new Error(`no gradient registered for ${k}`);
  }
}

module.exports = { loadModel, loadInput, registerGradients };
