// Shared by reference.js, gradient.js, attribution.js and cam.js: a TF.js graph model from disk (no network: a custom
// IOHandler hands the converter model.json's topology and its concatenated weight shards), optionally with its fused
// convolutions split back into the TF ops they fuse (unfuse), and a raw little-endian float32 input file as a tensor of
// the given shape.
'use strict';
const fs = require('fs');
const path = require('path');
const { register } = require('module');
const { pathToFileURL } = require('url');

// _FusedConv2D nodes as Conv2D -> BiasAdd (-> Relu), the last keeping the node's name, so every name still means the same
// value. Why: under tf.grad, tf.fused.conv2d with activation 'linear' runs as a customGrad whose gradient function computes
// the filter's and the bias's gradients eagerly, needed or not (on emotion 5.8 s of a 6.3 s gradient);
// Conv2D's registered gradient is lazy, so only d/dx is computed. The values are the same: tfjs-backend-cpu's FusedConv2D
// kernel is its conv2D kernel followed by its add kernel, and with a Relu activation tf.fused.conv2d never fuses when
// gradients are recorded (fused_util.shouldFuse) but runs conv2d, add and relu, as the split graph does.
function unfuse(topology) {
  const text = (b64) => Buffer.from(b64, 'base64').toString();
  const node = [];
  for (const n of topology.node) {
    if (n.op !== '_FusedConv2D') {
      node.push(n);
      continue;
    }
    const fused = n.attr.fused_ops.list.s.map(text);
    if (fused[0] !== 'BiasAdd' || fused.length > 2 || (fused.length === 2 && fused[1] !== 'Relu') || n.input.length !== 3) {
      throw new Error(`unfuse: ${n.name} fuses ${fused} of ${n.input.length} inputs (supported: BiasAdd, optionally then Relu)`);
    }
    const { fused_ops, num_args, epsilon, leakyrelu_alpha, ...convAttr } = n.attr;
    const conv = `${n.name}/unfused/Conv2D`, bias = fused.length === 1 ? n.name : `${n.name}/unfused/BiasAdd`;
    node.push({ name: conv, op: 'Conv2D', input: n.input.slice(0, 2), attr: convAttr });
    node.push({ name: bias, op: 'BiasAdd', input: [conv, n.input[2]], attr: { T: n.attr.T, data_format: n.attr.data_format } });
    if (fused.length === 2) node.push({ name: n.name, op: 'Relu', input: [bias], attr: { T: n.attr.T } });
  }
  return { ...topology, node };
}

async function loadModel(converter, modelJson, { unfused = false } = {}) {
  const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  if (unfused) model.modelTopology = unfuse(model.modelTopology);
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
async function registerGradients(tf, ops = ['Conv2D', 'DepthwiseConv2dNative', 'MaxPool', 'Max', 'Mean', 'Multiply', 'Add', 'Relu',
  'Slice', 'Reshape']) {
  register('data:text/javascript,' + encodeURIComponent(HOOKS));
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-core'));
  await import(pathToFileURL(path.join(dist, 'register_all_gradients.js')).href);
  for (const k of ops) {
    if (!tf.getGradient(k)) throw new Error(`no gradient registered for ${k}`);
  }
}

module.exports = { loadModel, loadInput, registerGradients };
