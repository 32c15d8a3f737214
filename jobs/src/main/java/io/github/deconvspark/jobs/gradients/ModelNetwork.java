package io.github.deconvspark.jobs.gradients;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.images.Normalize;
import io.github.deconvspark.jobs.inputs.Uris;
import io.github.deconvspark.jobs.labelled.LabelledData;
import io.github.deconvspark.jobs.nets.GradientSum;
import io.github.deconvspark.jobs.visualize.Visualizer;
import io.github.deconvspark.kernels.autodiff.Gradients;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import io.github.deconvspark.models.net.Net;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A user's model (any format {@link Models#load} reads: ONNX, Keras, TF.js) as the gradients job's network: the summed
 * softmax cross-entropy of one output's logits ({@code --head}, a [batch, classes] layer; default the model's only
 * output) w.r.t. every float parameter the model holds, in the file's own names and layouts ({@link Model#inFileLayout}:
 * an ONNX filter's gradient as [O, I, kh, kw], as PyTorch's state_dict holds it). The parameters are the model file's: executors load the file themselves, one graph per
 * (model, batch, dtype) per JVM, shared by its tasks. A block smaller than the batch is padded with zero images whose
 * label rows are all zero: their loss and gradients are exactly zero, so one graph serves every block and a model
 * with a fixed batch dimension takes any data set.
 */
final class ModelNetwork implements AutoCloseable {
    /** What the driver learns of the model and sends to the executors. */
    record Info(String uri, String format, String head, int inputSize, int[] input, int classes, List<String> params,
                List<long[]> shapes, long declaredBatch, String sha256, Normalize normalize) implements Serializable {
        long size() {
            long n = 0;
            for (long[] s : shapes) n += count(s);
            return n;
        }

        String summary() {
            return format + " model, input " + input[0] + "x" + input[1] + "x" + input[2] + ", " + classes + " classes (" + head + "), "
                    + params.size() + " parameters (" + size() + " values), pixels " + normalize;
        }
    }

    /**
     * Whether {@code uri} is a model file (told by content, as {@link Models#load} does) rather than a network description
     * or a model.json written by train (a weights.bin beside it).
     */
    static boolean isModel(String uri, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = Storage.path(uri);
        if (Storage.fs(p, conf).getFileStatus(p).isDirectory()) return true;        // a TF.js model folder
        byte[] head;
        try (java.io.InputStream in = Storage.fs(p, conf).open(p)) {
            head = in.readNBytes(16);
        }
        String format = Models.format(head);
        if (format == null) return false;
        if (!format.equals("json")) return true;
        return !Storage.exists(new org.apache.hadoop.fs.Path(p.getParent(), io.github.deconvspark.models.tfjs.NetFiles.WEIGHTS).toString(), conf);
    }

    /** Loads the model once on the driver (float32, batch 1) to check it and learn its input, classes and parameters. */
    static Info describe(String uri, String head, int inputSize, Normalize normalize, Configuration conf) {
        String shown = Uris.display(uri);
        try (Model m = Models.load(Storage.localModel(uri, conf), 1, DataType.FLOAT, inputSize > 0 ? new int[] {inputSize, inputSize} : null)) {
            long[] in = m.input().shape();
            String h = head(m, head);
            Tensor logits = m.layer(h);
            if (logits.rank() != 2) {
                throw new JobConfig.ConfigException("gradients: --head '" + h + "' of " + shown + " has shape " + Arrays.toString(logits.shape())
                        + "; the loss needs the pre-softmax class scores [batch, classes]");
            }
            List<long[]> shapes = new ArrayList<>();
            for (String p : m.parameters()) shapes.add(m.fileShape(p));
            if (shapes.isEmpty()) throw new JobConfig.ConfigException("gradients: " + shown + " holds no float parameter to differentiate");
            return new Info(uri, m.format(), h, inputSize, new int[] {(int) in[1], (int) in[2], (int) in[3]}, (int) logits.size(1),
                    List.copyOf(m.parameters()), shapes, m.declaredBatch(), m.sha256(), normalize);
        } catch (IllegalArgumentException e) {
            if (e instanceof JobConfig.ConfigException) throw e;
            throw new JobConfig.ConfigException("gradients: --model " + shown + ": " + e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            throw new JobConfig.ConfigException("gradients: --model " + shown + ": " + e.getMessage());
        }
    }

    private static String head(Model m, String given) {
        if (given != null && !given.isBlank()) return Visualizer.resolve(m, given, "head");
        if (m.outputs().size() != 1) {
            throw new JobConfig.ConfigException("gradients: " + m.path() + " has " + m.outputs().size() + " outputs " + m.outputs().keySet()
                    + "; name the class scores with --head");
        }
        String name = m.outputs().keySet().iterator().next();
        return m.hasLayer(name) ? name : m.outputs().get(name).name();
    }

    private final Model model;
    private final List<String> params;
    private final int batch;
    private final DataType dtype;
    private final Tensor labels, logits, loss;
    private final List<Tensor> grads;
    private final Tensor inputGrad;

    private ModelNetwork(Info info, int batch, DataType dtype, boolean inputGradient, Configuration conf) throws IOException {
        this.batch = batch;
        this.dtype = dtype;
        this.params = info.params();
        model = Models.load(Storage.localModel(info.uri(), conf), batch, dtype,
                info.inputSize() > 0 ? new int[] {info.inputSize(), info.inputSize()} : null);
        try {
            Graph g = model.graph();
            logits = model.layer(info.head());
            if (logits.dataType() != dtype) {
                throw new IllegalArgumentException("gradients: --head " + info.head() + " is " + logits.dataType() + ", the graph " + dtype);
            }
            labels = g.placeholder("gradients/labels", dtype, batch, info.classes());
            loss = Ops.reduceSum(Ops.softmaxCrossEntropyWithLogits(labels, logits));
            List<Tensor> xs = new ArrayList<>();
            for (String p : info.params()) xs.add(model.layer(p));
            if (inputGradient) xs.add(model.input());
            List<Tensor> all = Gradients.gradients(loss, xs);
            grads = all.subList(0, info.params().size());
            inputGrad = inputGradient ? all.get(info.params().size()) : null;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** A graph on the driver (for the input gradients of the first examples); the caller closes it. */
    static ModelNetwork build(Info info, int batch, DataType dtype, boolean inputGradient, Configuration conf) throws IOException {
        return new ModelNetwork(info, batch, dtype, inputGradient, conf);
    }

    private record Key(String uri, String head, int inputSize, int batch, DataType dtype) {}

    /** This JVM's graphs; a new model closes the others (a float64 model may take gigabytes). */
    private static final Map<Key, ModelNetwork> GRAPHS = new HashMap<>();

    private static ModelNetwork shared(Info info, int batch, DataType dtype, Configuration conf) throws IOException {
        Key k = new Key(info.uri(), info.head(), info.inputSize(), batch, dtype);
        synchronized (GRAPHS) {          // building is not thread-safe; running a built graph from several tasks is
            ModelNetwork n = GRAPHS.get(k);
            if (n == null) {
                GRAPHS.values().forEach(ModelNetwork::close);
                GRAPHS.clear();
                n = new ModelNetwork(info, batch, dtype, false, conf);
                GRAPHS.put(k, n);
            }
            return n;
        }
    }

    /** Runs a block of at most {@code batch} examples on this JVM's graph and adds its loss, hits and gradients to {@code acc}. */
    static GradientSum add(GradientSum acc, Info info, int batch, DataType dtype, LabelledData.Block b, Configuration conf) {
        if (b.size() == 0) return acc;
        long t0 = System.nanoTime();
        try {
            return acc.add(shared(info, batch, dtype, conf).run(b, info.normalize(), true), System.nanoTime() - t0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One block (padded to the batch); the gradients of the summed loss of its examples with {@code gradients}. */
    Net.Eval run(LabelledData.Block b, Normalize normalize, boolean gradients) {
        int n = b.size(), classes = (int) labels.size(1);
        long[] in = model.input().shape();
        int per = (int) (in[1] * in[2] * in[3]);
        if (n > batch) throw new IllegalArgumentException("gradients: a block of " + n + " examples for a graph of batch " + batch);
        float[] x = new float[batch * per];
        System.arraycopy(normalize.apply(b.x(), (int) in[3]), 0, x, 0, n * per);
        float[] onehot = new float[batch * classes];
        for (int i = 0; i < n; i++) {
            int y = b.y()[i];
            if (y < 0 || y >= classes) throw new IllegalArgumentException("gradients: label " + y + " is out of range 0.." + (classes - 1));
            onehot[i * classes + y] = 1;
        }
        List<INDArray> fed = new ArrayList<>();
        try {
            INDArray xv = Nd4j.create(x, in, 'c'), yv = Nd4j.create(onehot, new long[] {batch, classes}, 'c');
            fed.add(xv);
            fed.add(yv);
            if (dtype != DataType.FLOAT) {
                xv = xv.castTo(dtype);
                yv = yv.castTo(dtype);
                fed.add(xv);
                fed.add(yv);
            }
            List<Tensor> fetches = new ArrayList<>(List.of(loss, logits));
            if (gradients) {
                fetches.addAll(grads);
                if (inputGrad != null) fetches.add(inputGrad);
            }
            List<INDArray> out = model.graph().run(fetches, Map.of(model.input(), xv, labels, yv));
            double l = out.get(0).getDouble(0);
            out.get(0).close();
            INDArray lg = out.get(1);
            double[] lv = lg.data().asDouble();
            long correct = 0;
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int c = 1; c < classes; c++) if (lv[i * classes + c] > lv[i * classes + best]) best = c;
                if (best == b.y()[i]) correct++;
            }
            INDArray[] gs = null;
            if (gradients) {        // in the file's layout (an ONNX filter as [O, I, kh, kw]), as the user's framework names it
                gs = new INDArray[grads.size()];
                for (int i = 0; i < gs.length; i++) {
                    INDArray gv = out.get(2 + i);
                    gs[i] = model.inFileLayout(params.get(i), gv);
                    if (gs[i] != gv) gv.close();
                }
            }
            INDArray ig = gradients && inputGrad != null ? out.get(2 + grads.size()) : null;
            return new Net.Eval(l, correct, n, gs, ig, lg);
        } finally {
            for (INDArray a : fed) a.close();
        }
    }

    static long count(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    @Override public void close() {
        model.close();
    }
}
