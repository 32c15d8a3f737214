package io.github.deconvspark.models.net;

import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link NetSpec} as an autodiff graph for a fixed batch size and data type: input x [B,H,W,C],
 * one-hot labels [B,classes], the parameters as placeholders (fed from one flat array per run, so
 * one graph serves every step), logits, the summed softmax cross-entropy loss and its gradient
 * w.r.t. every parameter (and optionally w.r.t. x). The graph is built once; {@link #run} may be
 * called from several threads.
 *
 * <p>Parameters live in one flat array in {@link NetSpec#params()} order (kernels HWIO / [in,out],
 * row-major), {@link #offsets} say where each starts.
 */
public final class Net implements AutoCloseable {
    private final NetSpec spec;
    private final int batch;
    private final DataType dtype;
    private final Graph g = new Graph();
    private final Tensor x, labels, logits, loss, inputGrad;
    private final List<Tensor> params = new ArrayList<>();
    private final List<Tensor> grads;
    private final Map<String, Tensor> layers = new HashMap<>();
    private final long[] offsets;

    private Net(NetSpec spec, int batch, DataType dtype, boolean inputGradient) {
        this.spec = spec;
        this.batch = batch;
        this.dtype = dtype;
        int[] in = spec.input();
        x = g.placeholder("input", dtype, batch, in[0], in[1], in[2]);
        labels = g.placeholder("labels", dtype, batch, spec.classes());
        offsets = offsets(spec);
        for (NetSpec.ParamShape p : spec.params()) params.add(g.placeholder(p.name(), dtype, p.shape()));
        Tensor h = x;
        int pi = 0;
        for (NetSpec.Layer l : spec.layers()) {
            h = switch (l.kind()) {
                case "conv" -> Ops.biasAdd(Ops.conv2d(h, params.get(pi++), l.convParams()), params.get(pi++));
                case "dense" -> Ops.biasAdd(Ops.matmul(h, params.get(pi++)), params.get(pi++));
                case "relu" -> Ops.relu(h);
                case "maxpool" -> Ops.maxPool(h, l.poolParams());
                case "avgpool" -> Ops.avgPool(h, l.poolParams());
                case "flatten" -> Ops.reshape(h, batch, -1);
                default -> throw new AssertionError(l.kind());
            };
            layers.put(l.name() + "/" + l.kind(), h);
        }
        logits = h;
        loss = Ops.reduceSum(Ops.softmaxCrossEntropyWithLogits(labels, logits));
        List<Tensor> xs = new ArrayList<>(params);
        if (inputGradient) xs.add(x);
        List<Tensor> all = Gradients.gradients(loss, xs);
        grads = all.subList(0, params.size());
        inputGrad = inputGradient ? all.get(params.size()) : null;
    }

    /** A graph for batches of exactly {@code batch} examples in FLOAT or DOUBLE. */
    public static Net build(NetSpec spec, int batch, DataType dtype, boolean inputGradient) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) throw new IllegalArgumentException("Net: dtype must be FLOAT or DOUBLE, got " + dtype);
        if (batch < 1) throw new IllegalArgumentException("Net: batch must be >= 1, got " + batch);
        return new Net(spec, batch, dtype, inputGradient);
    }

    public NetSpec spec() { return spec; }

    public int batch() { return batch; }

    public DataType dtype() { return dtype; }

    public Graph graph() { return g; }

    public Tensor input() { return x; }

    public Tensor logits() { return logits; }

    /** The summed loss, the labels placeholder and the parameter placeholders (for checks and custom runs). */
    public Tensor loss() { return loss; }

    public Tensor labels() { return labels; }

    public List<Tensor> params() { return java.util.Collections.unmodifiableList(params); }

    /** A layer's output by name: {@code conv1/conv}, {@code conv1/relu}, {@code pool1/maxpool}, {@code dense2/dense}, ... */
    public Tensor layer(String name) {
        Tensor t = layers.get(name);
        if (t == null) throw new IllegalArgumentException("Net: no layer " + name + "; layers: " + new java.util.TreeSet<>(layers.keySet()));
        return t;
    }

    /** Where each parameter starts in the flat array, and (last entry) the total size. */
    public static long[] offsets(NetSpec spec) {
        List<NetSpec.ParamShape> ps = spec.params();
        long[] off = new long[ps.size() + 1];
        for (int i = 0; i < ps.size(); i++) off[i + 1] = off[i] + ps.get(i).size();
        return off;
    }

    /** Glorot-uniform kernels (Keras's default: limit sqrt(6 / (fan_in + fan_out))), zero biases; seeded. */
    public static double[] initialize(NetSpec spec, long seed) {
        long[] off = offsets(spec);
        double[] p = new double[(int) off[off.length - 1]];
        SplittableRandom r = new SplittableRandom(seed);
        List<NetSpec.ParamShape> ps = spec.params();
        for (int i = 0; i < ps.size(); i++) {
            long[] s = ps.get(i).shape();
            if (s.length == 1) continue; // bias
            long receptive = s.length == 4 ? s[0] * s[1] : 1;
            double fanIn = receptive * s[s.length - 2], fanOut = receptive * s[s.length - 1];
            double limit = Math.sqrt(6.0 / (fanIn + fanOut));
            for (long j = off[i]; j < off[i + 1]; j++) p[(int) j] = r.nextDouble(-limit, limit);
        }
        return p;
    }

    /** What one batch gave: summed loss, number right, examples, and (when asked) gradients. */
    public record Eval(double lossSum, long correct, int count, INDArray[] gradients, INDArray inputGradient, INDArray logits) {
        public void close() {
            if (gradients != null) for (INDArray a : gradients) if (a != null) a.close();
            if (inputGradient != null) inputGradient.close();
            if (logits != null) logits.close();
        }
    }

    /**
     * Runs a batch: {@code images} NHWC ({@code batch * H * W * C} values), {@code labels} in
     * [0, classes). With {@code gradients}, the gradients of the summed loss are fetched too (and the
     * input gradient if the net was built with it).
     */
    public Eval run(double[] flatParams, float[] images, int[] labels, boolean gradients) {
        return run((Object) flatParams, images, labels, gradients);
    }

    /** {@link #run(double[], float[], int[], boolean)} with float32 parameters (what a float32 graph computes with anyway). */
    public Eval run(float[] flatParams, float[] images, int[] labels, boolean gradients) {
        return run((Object) flatParams, images, labels, gradients);
    }

    private Eval run(Object flatParams, float[] images, int[] labels, boolean gradients) {
        int paramCount = flatParams instanceof double[] d ? d.length : ((float[]) flatParams).length;
        int[] in = spec.input();
        long per = (long) in[0] * in[1] * in[2];
        if (images.length != batch * per) {
            throw new IllegalArgumentException("Net.run: images hold " + images.length + " values; a batch of " + batch + " needs " + batch * per);
        }
        if (labels.length != batch) throw new IllegalArgumentException("Net.run: " + labels.length + " labels for a batch of " + batch);
        if (paramCount != offsets[offsets.length - 1]) {
            throw new IllegalArgumentException("Net.run: " + paramCount + " parameters; " + spec.summary() + " has " + offsets[offsets.length - 1]);
        }
        int classes = spec.classes();
        Map<Tensor, INDArray> feeds = new HashMap<>();
        List<INDArray> fed = new ArrayList<>();
        try {
            INDArray xv = Nd4j.create(images, new long[] {batch, in[0], in[1], in[2]}, 'c');
            if (dtype != DataType.FLOAT) xv = castOwned(xv);
            fed.add(xv);
            feeds.put(x, xv);
            float[] onehot = new float[batch * classes];
            for (int i = 0; i < batch; i++) {
                if (labels[i] < 0 || labels[i] >= classes) {
                    throw new IllegalArgumentException("Net.run: label " + labels[i] + " of example " + i + " is out of range 0.." + (classes - 1));
                }
                onehot[i * classes + labels[i]] = 1;
            }
            INDArray yv = Nd4j.create(onehot, new long[] {batch, classes}, 'c');
            if (dtype != DataType.FLOAT) yv = castOwned(yv);
            fed.add(yv);
            feeds.put(this.labels, yv);
            for (int i = 0; i < params.size(); i++) {
                INDArray pv = slice(flatParams, (int) offsets[i], (int) offsets[i + 1], params.get(i).shape());
                fed.add(pv);
                feeds.put(params.get(i), pv);
            }
            List<Tensor> fetches = new ArrayList<>(List.of(loss, logits));
            if (gradients) {
                fetches.addAll(grads);
                if (inputGrad != null) fetches.add(inputGrad);
            }
            List<INDArray> out = g.run(fetches, feeds);
            double l = out.get(0).getDouble(0);
            out.get(0).close();
            INDArray lg = out.get(1);
            long correct = 0;
            double[] lv = lg.data().asDouble();
            for (int i = 0; i < batch; i++) {
                int best = 0;
                for (int c = 1; c < classes; c++) if (lv[i * classes + c] > lv[i * classes + best]) best = c;
                if (best == labels[i]) correct++;
            }
            INDArray[] gs = null;
            INDArray ig = null;
            if (gradients) {
                gs = out.subList(2, 2 + grads.size()).toArray(new INDArray[0]);
                if (inputGrad != null) ig = out.get(2 + grads.size());
            }
            return new Eval(l, correct, batch, gs, ig, lg);
        } finally {
            for (INDArray a : fed) a.close();
        }
    }

    private INDArray slice(Object flat, int from, int to, long[] shape) {
        if (flat instanceof float[] fl) {
            INDArray a = Nd4j.create(java.util.Arrays.copyOfRange(fl, from, to), shape, 'c');
            return dtype == DataType.FLOAT ? a : castOwned(a);
        }
        double[] d = (double[]) flat;
        if (dtype == DataType.DOUBLE) return Nd4j.create(java.util.Arrays.copyOfRange(d, from, to), shape, 'c');
        float[] f = new float[to - from];
        for (int i = 0; i < f.length; i++) f[i] = (float) d[from + i];
        return Nd4j.create(f, shape, 'c');
    }

    private INDArray castOwned(INDArray a) {
        INDArray c = a.castTo(dtype);
        a.close();
        return c;
    }

    @Override public void close() {
        g.close();
    }
}
