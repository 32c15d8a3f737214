#!/usr/bin/env node
// Reference attributions with the official TF.js runtime (tfjs-core + tfjs-backend-cpu + tfjs-converter): gradient x
// input, integrated gradients (Sundararajan et al. 2017), SmoothGrad (Smilkov et al. 2017) and guided backpropagation
// (Springenberg et al. 2015) of out[0, CLASS], where out is the output of NODE (pre-softmax scores) of a graph model, each
// gradient from tf.valueAndGrad through GraphModel.execute as in gradient.js; the sums in float64.
//
// usage: node attribution.js [--unfuse] MODEL_JSON INPUT_F32 SHAPE OUT_DIR NODE CLASS METHOD [ARGS]
//   --unfuse                              split _FusedConv2D nodes into Conv2D, BiasAdd, Relu (load.js: the same values,
//                                         ~13x faster gradients on emotion)
//   METHOD gradxinput
//   METHOD ig BASELINE_F32 STEPS RULE     RULE: left (a_k = k/m, k < m), right (k = 1..m), middle ((k + 1/2)/m),
//                                         trapezoid (k = 0..m, end weights 1/2m); attr = (x - b) sum_k w_k grad(b + a_k (x - b))
//   METHOD smoothgrad NOISE_F32 SAMPLES   NOISE_F32: SAMPLES noise arrays of SHAPE, one after the other (the caller's
//                                         seeded noise, so both sides use the same); attr = mean_s grad(x + noise_s)
//   METHOD guided                         the gradient with every Relu's gradient replaced by the guided rule
//                                         relu(dy) * step(x) (ReluRule.GUIDED: max(R, 0) [x > 0]; Relu6 keeps its gradient,
//                                         as our Clip does)
// writes OUT_DIR/attr.f32 (float32, SHAPE) and OUT_DIR/scores.f32 (gradxinput, guided: f(x); no extra forward passes
// otherwise: TF.js's CPU backend takes seconds per pass of gear).
//
// Guided and fused convolutions: tf.fused.conv2d / matMul with a Relu activation (the converter's _FusedConv2D and
// _FusedMatMul) do not fuse while gradients are recorded (fused_util.shouldFuse: gradient depth > 0 and an activation
// other than linear): they run conv2d / matMul, add and relu, so the Relu kernel's registered gradient, which
// tf.registerGradient replaces, is what the tape calls. Only a fused op with a linear activation takes its customGrad,
// which has no Relu to guide. The replacement counts its calls, and a guided pass that calls it never is refused.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const converter = require('@tensorflow/tfjs-converter');
const { loadModel, loadInput, registerGradients } = require('./load.js');

async function main() {
  const args = process.argv.slice(2);
  const unfused = args[0] === '--unfuse' && Boolean(args.shift());
  const [modelJson, inputFile, shapeText, outDir, node, classText, method, ...rest] = args;
  if (!method) {
    console.error('usage: node attribution.js [--unfuse] MODEL_JSON INPUT_F32 SHAPE OUT_DIR NODE CLASS gradxinput|ig|smoothgrad|guided [ARGS]');
    process.exit(2);
  }
  const cls = Number(classText);
  await registerGradients(tf);
  await tf.setBackend('cpu');
  await tf.ready();
  const model = await loadModel(converter, modelJson, { unfused });
  const x = loadInput(tf, inputFile, shapeText);
  const n = x.size;
  const score = (input) => tf.reshape(tf.slice(model.execute(input, node), [0, cls], [1, 1]), []);
  const grad = async (input) => {
    const { value, grad: g } = tf.valueAndGrad(score)(input);
    return { value: (await value.data())[0], grad: await g.data() };
  };
  const xs = await x.data();
  const attr = new Float64Array(n);
  const scores = [];
  if (method === 'gradxinput') {
    const { value, grad: g } = await grad(x);
    for (let i = 0; i < n; i++) attr[i] = g[i] * xs[i];
    scores.push(value);
  } else if (method === 'guided') {
    let calls = 0;
    tf.registerGradient({
      kernelName: 'Relu',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        calls++;
        return { x: () => tf.mul(tf.relu(dy), tf.cast(tf.step(saved[0]), 'float32')) };
      },
    });
    const { value, grad: g } = await grad(x);
    if (calls === 0) throw new Error(`guided: no Relu gradient was called between the input and ${node}`);
    for (let i = 0; i < n; i++) attr[i] = g[i];
    scores.push(value);
    rest.push(`(${calls} Relu gradients guided)`);
  } else if (method === 'ig') {
    const [baselineFile, stepsText, rule] = rest;
    const m = Number(stepsText);
    const b = loadInput(tf, baselineFile, shapeText);
    const bs = await b.data();
    // the points as Attributions.Riemann computes them, to the last bit (k / m, (k + 1) / m, (k + 0.5) / m)
    const ks = [...Array(m).keys()];
    let alphas = ks.map((k) => k / m), weights = alphas.map(() => 1 / m);
    if (rule === 'right') alphas = ks.map((k) => (k + 1) / m);
    else if (rule === 'middle') alphas = ks.map((k) => (k + 0.5) / m);
    else if (rule === 'trapezoid') {
      alphas = [...Array(m + 1).keys()].map((k) => k / m);
      weights = alphas.map((_, k) => (k === 0 || k === m ? 0.5 / m : 1 / m));
    } else if (rule !== 'left') throw new Error(`unknown rule ${rule}`);
    const sum = new Float64Array(n);
    for (let k = 0; k < alphas.length; k++) {
      const point = new Float32Array(n);
      for (let i = 0; i < n; i++) point[i] = bs[i] + alphas[k] * (xs[i] - bs[i]);
      const g = (await grad(tf.tensor(point, x.shape, 'float32'))).grad;
      for (let i = 0; i < n; i++) sum[i] += weights[k] * g[i];
    }
    for (let i = 0; i < n; i++) attr[i] = (xs[i] - bs[i]) * sum[i];
  } else if (method === 'smoothgrad') {
    const [noiseFile, samplesText] = rest;
    const samples = Number(samplesText);
    const raw = fs.readFileSync(noiseFile);
    const noise = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    if (noise.length !== samples * n) throw new Error(`noise holds ${noise.length} floats, ${samples} x ${n} needed`);
    for (let s = 0; s < samples; s++) {
      const point = new Float32Array(n);
      for (let i = 0; i < n; i++) point[i] = xs[i] + noise[s * n + i];
      const g = (await grad(tf.tensor(point, x.shape, 'float32'))).grad;
      for (let i = 0; i < n; i++) attr[i] += g[i] / samples;
    }
  } else {
    throw new Error(`unknown method ${method}`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'attr.f32'), Buffer.from(new Float32Array(attr).buffer));
  fs.writeFileSync(path.join(outDir, 'scores.f32'), Buffer.from(new Float32Array(scores).buffer));
  console.log(`attribution: tfjs ${tf.version_core}, ${method} ${rest.join(' ')} of ${node}[0,${cls}]: scores ${scores.join(', ')} -> ${outDir}`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
