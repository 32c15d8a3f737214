#!/usr/bin/env node
// Reference forward pass and input gradient of a TF.js *layers* model (a Keras network: model.json with
// modelTopology.model_config, e.g. nsfwjs's inception_v3 and mobilenet_v2) with the official TF.js runtime
// (tfjs-core + tfjs-backend-cpu + tfjs-layers 4.22, pure JavaScript; install: models/scripts/tfjs-layers.sh).
// No network: the model is read from disk through a custom IOHandler (shards concatenated in manifest order,
// quantized weights decoded by tfjs itself).
//
// usage: node layers-reference.js MODEL_JSON INPUT_F32 SHAPE OUT_DIR [--unit K] [--no-grad] [--tfjs-avgpool-grad] [LAYER ...]
//   INPUT_F32: raw little-endian float32, row-major, NHWC, of SHAPE (e.g. 1,224,224,3)
//   LAYER: Keras layer names whose outputs to write (besides the model's output)
//   --unit K: the output unit for the gradient (default 0): g = d sum_b out[b, K] / d input
//   --no-grad: outputs only; --tfjs-avgpool-grad: keep tfjs's own (inexact) AvgPool gradient, see below
// writes OUT_DIR/<i>.f32 for the i-th LAYER, OUT_DIR/output.f32 (the model's output), OUT_DIR/grad.f32
// (g, of SHAPE; not with --no-grad) and OUT_DIR/layers-reference.json (tfjs version, backend, each file with
// its layer, class and shape, the unit, central-difference checks of g along one random direction, h = 1e-3
// and 1e-4: ReLU/ReLU6 kinks make them loose on whole networks, they are reported, not judged).
// The gradient uses an exact AvgPool gradient in place of tfjs's (see registerExactAvgPoolGradient: tfjs
// 4.22 is wrong next to SAME padding, e.g. in every inception_v3 block) and a gamma of ones for batch
// norms without scale (tfjs's FusedBatchNorm gradient fails without one); both are recorded in the JSON.
// Modules resolve from NODE_PATH (e.g. models/target/node_modules). Needs Node >= 20.6 (module.register).
//
// Gradients: as in gradient.js, the Node build of tfjs-core registers no gradient functions; a loader
// hook lets us import dist/register_all_gradients.js (an ES module with extensionless imports), whose
// gradients land in the registry shared by every tfjs-core copy, so tf.grad below sees them.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');
const { registerGradients } = require('./load.js');

// unitGamma: give every BatchNormalization with scale=false a gamma of ones (the same function). tfjs 4.22's
// FusedBatchNorm gradient saves its scale input and fails on a missing one ("reading 'dataId'"), as in
// inception_v3, so the gradient runs on such a copy; the forward outputs come from the model as it is.
// tfjs 4.22's CPU AvgPoolGrad divides every window by its full size, also where SAME padding cuts it, while
// its AvgPool forward (like TensorFlow's) divides by the real cells: its gradient is then not the derivative
// of its forward near the borders (d sum avgPool(ones(4x4), 3x3, same) gives 0.444 in a corner, the exact
// value, and TensorFlow's AvgPoolGrad, 0.694). This registers the exact gradient: dy scaled by
// full size / real cells of each window, then tfjs's own AvgPoolGrad. VALID windows are unchanged.
function registerExactAvgPoolGradient() {
  tf.registerGradient({
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const [fh, fw] = typeof attrs.filterSize === 'number' ? [attrs.filterSize, attrs.filterSize] : attrs.filterSize;
      const [sh, sw] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
      const [, H, W] = x.shape;
      const [, oh, ow] = dy.shape;
      const before = (n, o, f, st) => {
        if (attrs.pad === 'valid') return 0;
        if (attrs.pad === 'same') return Math.floor(Math.max((o - 1) * st + f - n, 0) / 2);
        if (typeof attrs.pad === 'number') return attrs.pad;
        throw new Error(`AvgPool gradient: pad ${JSON.stringify(attrs.pad)} not handled`);
      };
      const pt = before(H, oh, fh, sh);
      const pl = before(W, ow, fw, sw);
      const real = (i, st, p, f, n) => Math.min(i * st - p + f, n) - Math.max(i * st - p, 0);
      const scale = new Float32Array(oh * ow);
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) scale[i * ow + j] = (fh * fw) / (real(i, sh, pt, fh, H) * real(j, sw, pl, fw, W));
      }
      return { x: () => tf.engine().runKernel('AvgPoolGrad', { dy: tf.mul(dy, tf.tensor4d(scale, [1, oh, ow, 1])), input: x },
        { filterSize: attrs.filterSize, strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode }) };
    },
  });
}

async function loadLayersModel(modelJson, unitGamma = false) {
  const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  if (!model.modelTopology || !model.modelTopology.model_config) {
    throw new Error(`${modelJson} is not a layers model (no modelTopology.model_config)`);
  }
  const specs = [];
  const buffers = [];
  for (const group of model.weightsManifest || []) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(modelJson), p)));
    specs.push(...group.weights);
  }
  let patched = 0;
  if (unitGamma) {
    for (const l of model.modelTopology.model_config.config.layers) {
      if (l.class_name !== 'BatchNormalization' || l.config.scale !== false) continue;
      const mean = specs.find((w) => w.name === `${l.config.name}/moving_mean`);
      if (!mean) throw new Error(`no ${l.config.name}/moving_mean weight`);
      l.config.scale = true;
      specs.push({ name: `${l.config.name}/gamma`, shape: mean.shape, dtype: 'float32' });
      buffers.push(Buffer.from(new Float32Array(mean.shape[0]).fill(1).buffer));
      patched++;
    }
  }
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
  const m = await tfl.loadLayersModel({
    load: async () => ({ modelTopology: model.modelTopology, format: model.format,
      generatedBy: model.generatedBy, convertedBy: model.convertedBy, weightSpecs: specs, weightData }),
  }, { strict: true });
  m.unitGammaPatched = patched;
  return m;
}

function parseArgs(argv) {
  const opts = { unit: 0, layers: [], grad: true, exactAvgPool: true };
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--unit') opts.unit = Number(argv[++i]);
    else if (argv[i] === '--no-grad') opts.grad = false;
    else if (argv[i] === '--tfjs-avgpool-grad') opts.exactAvgPool = false;
    else pos.push(argv[i]);
  }
  [opts.modelJson, opts.input, opts.shape, opts.outDir, ...opts.layers] = pos;
  return opts;
}

async function writeF32(file, t) {
  fs.writeFileSync(file, Buffer.from(new Float32Array(await t.data()).buffer));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!o.outDir || !Number.isInteger(o.unit)) {
    console.error('usage: node layers-reference.js MODEL_JSON INPUT_F32 SHAPE OUT_DIR [--unit K] [--no-grad] [--tfjs-avgpool-grad] [LAYER ...]');
    process.exit(2);
  }
  await registerGradients(tf, ['Conv2D', 'DepthwiseConv2dNative', 'MaxPool', 'AvgPool', 'FusedBatchNorm', 'Relu6', 'Concat', 'BatchMatMul']);
  if (o.exactAvgPool) registerExactAvgPoolGradient();
  await tf.setBackend('cpu');
  await tf.ready();
  const model = await loadLayersModel(o.modelJson);
  const shape = o.shape.split(',').map(Number);
  const raw = fs.readFileSync(o.input);
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (values.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${o.input} holds ${values.length} floats, shape ${shape} does not`);
  const x = tf.tensor(values, shape, 'float32');

  const names = model.layers.map((l) => l.name);
  for (const n of o.layers) {
    if (!names.includes(n)) throw new Error(`no layer ${n} in ${o.modelJson} (it has ${names.length}: ${names.slice(0, 8).join(', ')}, ...)`);
  }
  const picked = o.layers.map((n) => model.getLayer(n));
  // each symbolic tensor once (a model may not list an output twice; a LAYER may be the output layer)
  const tensors = [...model.outputs];
  const at = picked.map((l) => {
    let i = tensors.indexOf(l.output);
    if (i < 0) i = tensors.push(l.output) - 1;
    return i;
  });
  const probe = tfl.model({ inputs: model.inputs, outputs: tensors });
  let all = probe.predict(x, { batchSize: shape[0] });
  if (!Array.isArray(all)) all = [all];
  const outs = [...at.map((i) => all[i]), all[0]];
  fs.mkdirSync(o.outDir, { recursive: true });
  const meta = { tfjs: tf.version_core, tfjs_layers: tfl.version_layers, backend: tf.getBackend(),
    model: path.resolve(o.modelJson), input: path.resolve(o.input), input_shape: shape, layout: 'NHWC',
    dtype: 'float32 little-endian, row-major', layers: [] };
  for (let i = 0; i < picked.length; i++) {
    await writeF32(path.join(o.outDir, `${i}.f32`), outs[i]);
    meta.layers.push({ layer: picked[i].name, class_name: picked[i].getClassName(), shape: outs[i].shape, file: `${i}.f32` });
  }
  const y = outs[outs.length - 1];
  await writeF32(path.join(o.outDir, 'output.f32'), y);
  meta.output = { layer: model.outputLayers[0].name, shape: y.shape, file: 'output.f32' };
  const units = y.shape[y.shape.length - 1];
  if (o.unit < 0 || o.unit >= units) throw new Error(`--unit ${o.unit}: the output has ${units} units`);

  if (o.grad) {
    // g = d sum_b out[b, unit] / d input (inference mode: dropout off, batch norm with moving statistics)
    const gm = await loadLayersModel(o.modelJson, true);
    const f = (inp) => tf.sum(tf.slice(gm.apply(inp, { training: false }), [0, o.unit], [-1, 1]));
    const g = tf.grad(f)(x);
    await writeF32(path.join(o.outDir, 'grad.f32'), g);
    // central differences along one seeded random direction d: (f(x+hd) - f(x-hd)) / 2h against <g, d>.
    // ReLU6 / ReLU kinks are dense in these networks: only small steps (h <= 1e-4 per input element)
    // converge, and float32 limits how small; so several h are tried and each is reported (not a verdict).
    const d = tf.randomNormal(shape, 0, 1, 'float32', 7);
    const analytic = (await tf.sum(tf.mul(g, d)).data())[0];
    const checks = [];
    for (const h of [1e-3, 1e-4]) {
      const fp = (await f(tf.add(x, tf.mul(d, h))).data())[0];
      const fm = (await f(tf.sub(x, tf.mul(d, h))).data())[0];
      const numeric = (fp - fm) / (2 * h);
      checks.push({ h, numeric, rel_diff: Math.abs(numeric - analytic) / Math.max(1e-12, Math.abs(numeric), Math.abs(analytic)) });
    }
    meta.gradient = { file: 'grad.f32', shape: g.shape, of: `sum over the batch of output[:, ${o.unit}]`, unit: o.unit,
      batch_norms_given_unit_gamma: gm.unitGammaPatched,
      score: (await f(x).data())[0],
      central_difference: { direction: 'tf.randomNormal(shape, 0, 1, float32, seed 7)', analytic, checks,
        best_rel_diff: Math.min(...checks.map((c) => c.rel_diff)) } };
    meta.gradient.avgpool_gradient = o.exactAvgPool
      ? 'exact (tfjs AvgPoolGrad with dy scaled by window size / real cells, as TensorFlow)' : 'tfjs 4.22 AvgPoolGrad as is';
  }
  fs.writeFileSync(path.join(o.outDir, 'layers-reference.json'), JSON.stringify(meta, null, 1));
  console.log(path.join(o.outDir, 'layers-reference.json'));
}

main().catch((e) => {
  console.error(`layers-reference: ${e.stack || e}`);
  process.exit(1);
});
