#!/usr/bin/env node
// Reference input gradient ("saliency", Simonyan et al. 2013) with the official TF.js runtime
// (tfjs-core + tfjs-backend-cpu + tfjs-converter, pure JavaScript): d out[0, CLASS] / d input, where
// out is the output of NODE (e.g. pre-softmax logits) of a graph model. No network: the model is read
// from disk through a custom IOHandler, as in reference.js.
//
// usage: node gradient.js MODEL_JSON INPUT_F32 SHAPE OUT_DIR NODE CLASS
//   INPUT_F32: raw little-endian float32, row-major, of SHAPE (e.g. 1,198,198,3)
// writes OUT_DIR/grad.f32 (raw little-endian float32, SHAPE), OUT_DIR/score.f32 (out[0, CLASS]) and
// OUT_DIR/gradient.json (tfjs version, backend, node, class, shape, score, finite-difference check).
// Modules resolve from NODE_PATH (the test sets it to models/target/node_modules). Needs Node >= 20.6
// (module.register).
//
// Gradients: the Node build of tfjs-core (dist/tf-core.node.js) registers no gradient functions, and
// the only copy of them, dist/register_all_gradients.js, is an ES module with extensionless relative
// imports that Node cannot load as is. A small loader hook (append ".js", treat tfjs-core/dist as ESM)
// lets us import it; its gradients land in the registry shared across tfjs-core copies (global
// "gradRegistry", engine "_tfengine"), so the CommonJS tf.grad below sees them.
// GraphModel.execute records on the tape (the engine keeps clones of saved tensors, so the executor
// disposing intermediates does no harm): tf.valueAndGrad through model.execute works directly.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const converter = require('@tensorflow/tfjs-converter');
const { loadModel, loadInput, registerGradients } = require('./load.js');

async function main() {
  const [modelJson, inputFile, shapeText, outDir, node, classText] = process.argv.slice(2);
  if (!node || classText === undefined) {
    console.error('usage: node gradient.js MODEL_JSON INPUT_F32 SHAPE OUT_DIR NODE CLASS');
    process.exit(2);
  }
  const cls = Number(classText);
  await registerGradients(tf);
  await tf.setBackend('cpu');
  await tf.ready();

  const graphModel = await loadModel(converter, modelJson);
  const x = loadInput(tf, inputFile, shapeText);

  // the scalar out[0, CLASS] (functional ops: the Node build has no chained tensor methods)
  const score = (input) => {
    const out = graphModel.execute(input, node);
    if (out.rank !== 2 || cls < 0 || cls >= out.shape[1]) throw new Error(`${node} has shape ${out.shape}, class ${cls}`);
    return tf.reshape(tf.slice(out, [0, cls], [1, 1]), []);
  };
  const { value, grad } = tf.valueAndGrad(score)(x);
  const s = (await value.data())[0];
  const g = await grad.data();

  // self-check: central difference along the unit gradient direction u, (f(x+hu) - f(x-hu)) / 2h,
  // should equal |grad| (float32 forward passes, hence the large step)
  const norm = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
  const h = 1e-2;
  const u = tf.div(grad, norm);
  const fPlus = (await score(tf.add(x, tf.mul(u, h))).data())[0];
  const fMinus = (await score(tf.sub(x, tf.mul(u, h))).data())[0];
  const directional = (fPlus - fMinus) / (2 * h);

  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'grad.f32'), Buffer.from(new Float32Array(g).buffer));
  fs.writeFileSync(path.join(outDir, 'score.f32'), Buffer.from(new Float32Array([s]).buffer));
  const meta = {
    tfjs: tf.version_core, backend: tf.getBackend(), node, class: cls, shape: x.shape, score: s,
    gradNorm: norm, finiteDifference: { step: h, directional, relError: Math.abs(directional - norm) / norm },
    files: { grad: 'grad.f32', score: 'score.f32' },
  };
  fs.writeFileSync(path.join(outDir, 'gradient.json'), JSON.stringify(meta, null, 1));
  console.log(`gradient: tfjs ${meta.tfjs} (${meta.backend}), ${node}[0,${cls}] = ${s}, |grad| = ${norm.toPrecision(6)}, `
    + `finite difference ${directional.toPrecision(6)} (rel ${meta.finiteDifference.relError.toExponential(2)}) -> ${outDir}`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
