#!/usr/bin/env node
// Reference class activation maps with the official TF.js runtime (tfjs-core + tfjs-converter; tfjs-backend-cpu for the
// gradients, tfjs-backend-wasm for Score-CAM's many forward passes): Grad-CAM++ (Chattopadhay et al. 2018) and Score-CAM
// (Wang et al. 2020) of the conv layer LAYER ([1, h, w, K]) for every class of the head HEAD (pre-softmax scores
// [1, classes]) of a graph model, with the formulas as Attributions' javadoc states them:
//   Grad-CAM++  g = d score[c] / d A, alpha = g^2 / (2 g^2 + sum_ij A_k g^3 + 1e-6) (0 where g == 0),
//               w_k = sum_ij alpha relu(g), map = relu(sum_k w_k A_k)
//   Score-CAM   M_k = A_k upsampled to the image (bilinear, corners aligned), min-max scaled to [0, 1] (a constant map
//               gives a zero mask); s_k = score[c](image * M_k); w = softmax_k(s), map = relu(sum_k w_k A_k)
// all in TF.js float32 ops (tf.image.resizeBilinear, tf.min/max, tf.softmax, ...).
//
// d score / d A for the intermediate node: GraphModel.execute takes a feed dict keyed by ANY node of the graph, not only
// the placeholders (the converter's GraphExecutor checks only that the key names a node; its execution subgraph stops
// walking back at fed nodes, and a fed node is not executed), so f(A) = execute({[LAYER]: A}, HEAD) is the model's tail
// and tf.grad of it is d score / d A. Checked first: feeding the layer's own activations must give the head's scores.
//
// usage: node cam.js [--unfuse] MODEL_JSON INPUT_F32 SHAPE OUT_DIR HEAD LAYER [SCORE_BACKEND]
//   --unfuse       split _FusedConv2D nodes into Conv2D, BiasAdd, Relu (load.js: the same values, lazier gradients)
//   SCORE_BACKEND  wasm (default; XNNPACK, ~20x TF.js's CPU backend on gear) or cpu, for Score-CAM's K masked passes
// writes OUT_DIR/gradcampp.f32 and OUT_DIR/scorecam.f32 (float32 [classes, h, w], class by class) and
// OUT_DIR/scores.f32 (the head's scores of the image, [classes]).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const converter = require('@tensorflow/tfjs-converter');
const { loadModel, loadInput, registerGradients } = require('./load.js');

const EPS = 1e-6;          // Grad-CAM++'s epsilon, as pytorch-grad-cam (grad_cam_plusplus.py) and Attributions use it
const CHUNK = 8;           // masked images per Score-CAM forward pass

/** max |a - b| and max |b| of two same-shape tensors, as numbers. */
async function diff(a, b) {
  const d = await tf.max(tf.abs(tf.sub(a, b))).data();
  const m = await tf.max(tf.abs(b)).data();
  return { diff: d[0], max: m[0] };
}

/** Grad-CAM++ of A [1, h, w, K] from its gradient g: [h, w]. */
function gradCamPlusPlus(a, g, eps) {
  return tf.tidy(() => {
    const sumA = tf.sum(a, [1, 2], true);                                  // [1, 1, 1, K]
    const g2 = tf.square(g), g3 = tf.mul(g2, g);
    const alpha = tf.where(tf.equal(g, 0), tf.zerosLike(g), tf.div(g2, tf.add(tf.add(tf.mul(g2, 2), tf.mul(sumA, g3)), eps)));
    const w = tf.sum(tf.mul(alpha, tf.relu(g)), [1, 2], true);            // [1, 1, 1, K]
    return tf.reshape(tf.relu(tf.sum(tf.mul(w, a), 3)), [a.shape[1], a.shape[2]]);
  });
}

async function main() {
  const args = process.argv.slice(2);
  const unfused = args[0] === '--unfuse' && Boolean(args.shift());
  const [modelJson, inputFile, shapeText, outDir, head, layer, scoreBackend = 'wasm'] = args;
  if (!layer) {
    console.error('usage: node cam.js [--unfuse] MODEL_JSON INPUT_F32 SHAPE OUT_DIR HEAD LAYER [wasm|cpu]');
    process.exit(2);
  }
  await registerGradients(tf);
  await tf.setBackend('cpu');
  await tf.ready();
  const t0 = Date.now();
  const model = await loadModel(converter, modelJson, { unfused });
  const x = loadInput(tf, inputFile, shapeText);
  const [a, scores] = model.execute(x, [layer, head]);                     // A [1, h, w, K], scores [1, classes]
  if (a.rank !== 4 || a.shape[0] !== 1) throw new Error(`layer ${layer} is ${a.shape}, not [1, h, w, K]`);
  const [, h, w, k] = a.shape, classes = scores.shape[1];

  // the tail of the model from the layer: feeding A at the layer must give the scores of the whole model
  const tail = (act) => model.execute({ [layer]: act }, head);
  const fed = await diff(tail(a), scores);
  if (!(fed.diff <= 1e-6 * fed.max)) throw new Error(`feeding ${layer} its own activations: scores off by ${fed.diff}`);

  // Grad-CAM++, every class; and how far an epsilon of 1e-7 would move class 0's map (the test must tell them apart)
  const camPP = [];
  let epsShift = 0;
  for (let c = 0; c < classes; c++) {
    const g = tf.grad((act) => tf.reshape(tf.slice(tail(act), [0, c], [1, 1]), []))(a);
    camPP.push(gradCamPlusPlus(a, g, EPS));
    if (c === 0) {
      const e6 = await diff(gradCamPlusPlus(a, g, 1e-7), camPP[0]);
      epsShift = e6.diff / e6.max;
    }
  }
  const t1 = Date.now();

  // Score-CAM: the masks on the CPU backend, the masked images' scores on SCORE_BACKEND
  const [, bigH, bigW] = x.shape;
  const masks = tf.tidy(() => {
    const up = tf.image.resizeBilinear(a, [bigH, bigW], true);             // alignCorners: (in - 1) / (out - 1) steps
    const lo = tf.min(up, [1, 2], true), hi = tf.max(up, [1, 2], true);
    return tf.transpose(tf.divNoNan(tf.sub(up, lo), tf.sub(hi, lo)), [3, 1, 2, 0]);   // [K, H, W, 1]; hi == lo: 0
  });
  if (scoreBackend === 'wasm') require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend(scoreBackend);
  await tf.ready();
  const onBackend = await diff(model.execute(x, head), scores);           // the same image: CPU vs SCORE_BACKEND
  const s = [];                                                             // [K, classes]
  for (let k0 = 0; k0 < k; k0 += CHUNK) {
    const n = Math.min(CHUNK, k - k0);
    const out = tf.tidy(() => model.execute(tf.mul(tf.slice(masks, [k0, 0, 0, 0], [n, -1, -1, -1]), x), head));
    s.push(...(await out.array()));
    out.dispose();
  }
  const camS = tf.tidy(() => {
    const weights = tf.softmax(tf.transpose(tf.tensor2d(s)));              // [classes, K], softmax over k per class
    const flat = tf.reshape(a, [h * w, k]);
    return tf.relu(tf.matMul(weights, flat, false, true));                 // [classes, h * w]
  });
  const t2 = Date.now();

  fs.mkdirSync(outDir, { recursive: true });
  const write = async (name, t) => {
    const v = await t.data();
    fs.writeFileSync(path.join(outDir, name), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  };
  await write('gradcampp.f32', tf.stack(camPP));
  await write('scorecam.f32', camS);
  await write('scores.f32', scores);
  console.log(`cam: tfjs ${tf.version_core}, ${layer} [${h}, ${w}, ${k}] -> ${head} (${classes} classes), scores ${await scores.data()}; `
      + `feeding the layer: |diff| ${fed.diff}; ${scoreBackend} vs cpu scores: |diff| ${onBackend.diff}; `
      + `Grad-CAM++ class 0 with eps 1e-7 instead of 1e-6: max|diff| ${epsShift.toExponential(3)} of its max; `
      + `Grad-CAM++ ${((t1 - t0) / 1000).toFixed(1)} s (cpu), Score-CAM ${((t2 - t1) / 1000).toFixed(1)} s (${scoreBackend}) -> ${outDir}`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
