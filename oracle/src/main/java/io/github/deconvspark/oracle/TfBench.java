package io.github.deconvspark.oracle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * Times TensorFlow's kernels on the benchmark shapes: {@code TfBench --shapes conf/bench/kernels.txt
 * [--warmup 3] [--iters 10] [--threads 0] [--only NAME_SUBSTRING]}. Prints one TSV line per case to stdout:
 * {@code name<TAB>median_ms<TAB>min_ms}. Run it with TF's defaults (oneDNN on): that is TF as users get it.
 *
 * <p>Every input is a Placeholder fed a pre-allocated random tensor, so Grappler cannot fold the op away;
 * each timed call is one {@code session.runner()...run()} including closing its result tensors.
 */
public final class TfBench {
  private TfBench() {
  }

  /** One line of the shapes file: {@code key=value} fields (see the file's header). */
  record BenchCase(String name, Map<String, String> fields) {
    String str(String key) {
      String v = fields.get(key);
      if (v == null) {
        throw new IllegalArgumentException(name + ": missing field " + key);
      }
      return v;
    }

    int i(String key) {
      return Integer.parseInt(str(key));
    }
  }

  /** Parses the shapes file: '#' starts a comment, blank lines are skipped, every case needs name= and op=. */
  static List<BenchCase> parse(Path file) throws IOException {
    List<BenchCase> cases = new ArrayList<>();
    int lineNo = 0;
    for (String raw : Files.readAllLines(file)) {
      lineNo++;
      int hash = raw.indexOf('#');
      String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
      if (line.isEmpty()) {
        continue;
      }
      Map<String, String> f = new LinkedHashMap<>();
      for (String tok : line.split("\\s+")) {
        int eq = tok.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(file + ":" + lineNo + ": expected key=value, got '" + tok + "'");
        }
        f.put(tok.substring(0, eq), tok.substring(eq + 1));
      }
      if (!f.containsKey("name") || !f.containsKey("op")) {
        throw new IllegalArgumentException(file + ":" + lineNo + ": every case needs name= and op=");
      }
      cases.add(new BenchCase(f.get("name"), f));
    }
    return cases;
  }

  public static void main(String[] args) throws IOException {
    Path shapes = null;
    int warmup = 3;
    int iters = 10;
    int threads = 0;
    String only = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--shapes" -> shapes = Path.of(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--iters" -> iters = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--only" -> only = args[++i];
        default -> usage("unknown argument " + args[i]);
      }
    }
    if (shapes == null || iters < 1 || warmup < 0 || threads < 0) {
      usage("--shapes is required; iters >= 1, warmup >= 0, threads >= 0");
    }
    System.err.printf("TfBench: TensorFlow %s, warmup %d, iters %d, threads %s, TF_ENABLE_ONEDNN_OPTS=%s%n",
        TensorFlow.version(), warmup, iters, threads == 0 ? "TF default" : threads,
        System.getenv().getOrDefault("TF_ENABLE_ONEDNN_OPTS", "(unset: TF default)"));
    ConfigProto config = threads == 0
        ? ConfigProto.getDefaultInstance()
        : ConfigProto.newBuilder().setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(threads).build();
    for (BenchCase c : parse(shapes)) {
      if (only != null && !c.name().contains(only)) {
        continue;
      }
      double[] ms = time(c, config, warmup, iters);
      Arrays.sort(ms);
      double median = ms.length % 2 == 1 ? ms[ms.length / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
      System.out.printf("%s\t%.3f\t%.3f%n", c.name(), median, ms[0]);
      System.out.flush();
    }
  }

  private static void usage(String why) {
    System.err.println(why);
    System.err.println("usage: TfBench --shapes FILE [--warmup 3] [--iters 10] [--threads 0] [--only NAME_SUBSTRING]");
    System.exit(2);
  }

  /** Builds the case's graph, runs warmup untimed calls, then returns the milliseconds of each timed call. */
  static double[] time(BenchCase c, ConfigProto config, int warmup, int iters) {
    Random rnd = new Random(c.name().hashCode());
    List<Tensor> owned = new ArrayList<>();
    try (Tf tf = new Tf()) {
      Map<Output<?>, Tensor> feeds = new LinkedHashMap<>();
      List<Output<?>> fetches = build(tf, c, rnd, feeds, owned, config);
      try (Session s = new Session(tf.graph, config)) {
        double[] ms = new double[iters];
        for (int i = -warmup; i < iters; i++) {
          long t0 = System.nanoTime();
          Session.Runner r = s.runner();
          feeds.forEach(r::feed);
          fetches.forEach(r::fetch);
          try (Result res = r.run()) {
            if (res.size() != fetches.size()) {
              throw new IllegalStateException(c.name() + ": fetched " + res.size());
            }
          }
          long t1 = System.nanoTime();
          if (i >= 0) {
            ms[i] = (t1 - t0) / 1e6;
          }
        }
        return ms;
      }
    } finally {
      owned.forEach(Tensor::close);
    }
  }

  private static List<Output<?>> build(Tf tf, BenchCase c, Random rnd, Map<Output<?>, Tensor> feeds,
      List<Tensor> owned, ConfigProto config) {
    if (c.str("op").equals("matmul")) { // the sgemm peak: an n x n by n x n product
      long m = c.i("n");
      Output<?> a = feed(tf, feeds, owned, rnd, m, m);
      Output<?> b = feed(tf, feeds, owned, rnd, m, m);
      return List.of(tf.op1("MatMul", x -> { }, a, b));
    }
    long n = c.i("n");
    long h = c.i("h");
    long w = c.i("w");
    long ch = c.i("c");
    long k = c.i("k");
    long s = c.i("s");
    String pad = c.str("pad");
    long[] strides = {1, s, s, 1};
    String op = c.str("op");
    return switch (op) {
      case "conv2d" -> {
        long oc = c.i("oc");
        Output<?> x = feed(tf, feeds, owned, rnd, n, h, w, ch);
        Output<?> f = feed(tf, feeds, owned, rnd, k, k, ch, oc);
        yield List.of(tf.op1("Conv2D", b -> b.setAttr("strides", strides).setAttr("padding", pad), x, f));
      }
      case "conv2d_transpose" -> {
        long oc = c.i("oc");
        Output<?> v = feed(tf, feeds, owned, rnd, n, h, w, ch);
        Output<?> f = feed(tf, feeds, owned, rnd, k, k, oc, ch);
        Output<?> sizes = tf.constInt32(n, c.i("oh"), c.i("ow"), oc);
        yield List.of(tf.op1("Conv2DBackpropInput", b -> b.setAttr("strides", strides).setAttr("padding", pad), sizes, f, v));
      }
      case "conv2d_backprop_input" -> {
        long oc = c.i("oc");
        Output<?> f = feed(tf, feeds, owned, rnd, k, k, ch, oc);
        Output<?> dy = feed(tf, feeds, owned, rnd, n, out(h, k, s, pad), out(w, k, s, pad), oc);
        Output<?> sizes = tf.constInt32(n, h, w, ch);
        yield List.of(tf.op1("Conv2DBackpropInput", b -> b.setAttr("strides", strides).setAttr("padding", pad), sizes, f, dy));
      }
      case "conv2d_backprop_filter" -> {
        long oc = c.i("oc");
        Output<?> x = feed(tf, feeds, owned, rnd, n, h, w, ch);
        Output<?> dy = feed(tf, feeds, owned, rnd, n, out(h, k, s, pad), out(w, k, s, pad), oc);
        Output<?> sizes = tf.constInt32(k, k, ch, oc);
        yield List.of(tf.op1("Conv2DBackpropFilter", b -> b.setAttr("strides", strides).setAttr("padding", pad), x, sizes, dy));
      }
      case "max_pool", "avg_pool" -> {
        Output<?> x = feed(tf, feeds, owned, rnd, n, h, w, ch);
        yield List.of(tf.op1(op.equals("max_pool") ? "MaxPool" : "AvgPool",
            b -> b.setAttr("ksize", new long[] {1, k, k, 1}).setAttr("strides", strides).setAttr("padding", pad), x));
      }
      case "max_pool_with_argmax" -> {
        Output<?> x = feed(tf, feeds, owned, rnd, n, h, w, ch);
        GraphOperation p = argmax(tf, x, k, s, pad);
        yield List.of(p.output(0), p.output(1));
      }
      case "max_unpool" -> unpool(tf, c, rnd, feeds, owned, config);
      case "vgg_grad" -> vggGradients(tf, c, rnd, feeds, owned);
      default -> throw new IllegalArgumentException(c.name() + ": unknown op " + op);
    };
  }

  /**
   * Forward and backward of a VGG-style stack: per channel count in {@code widths} (e.g. 128,256,512) a 3x3
   * SAME conv, ReLU and 2x2/2 max pool; loss = sum; fetches the gradient of every filter.
   */
  private static List<Output<?>> vggGradients(Tf tf, BenchCase c, Random rnd, Map<Output<?>, Tensor> feeds,
      List<Tensor> owned) {
    Output<?> x = feed(tf, feeds, owned, rnd, c.i("n"), c.i("h"), c.i("w"), c.i("c"));
    List<Output<?>> filters = new ArrayList<>();
    long in = c.i("c");
    Output<?> a = x;
    for (String width : c.str("widths").split(",")) {
      long out = Long.parseLong(width);
      Output<?> f = feed(tf, feeds, owned, rnd, 3, 3, in, out);
      filters.add(f);
      Output<?> conv = tf.op1("Conv2D", b -> b.setAttr("strides", new long[] {1, 1, 1, 1}).setAttr("padding", "SAME"), a, f);
      Output<?> relu = tf.op1("Relu", b -> { }, conv);
      a = tf.op1("MaxPool", b -> b.setAttr("ksize", new long[] {1, 2, 2, 1}).setAttr("strides", new long[] {1, 2, 2, 1})
          .setAttr("padding", "VALID"), relu);
      in = out;
    }
    Output<?> loss = tf.op1("Sum", b -> { }, a, tf.constInt32(0, 1, 2, 3));
    return List.of(tf.graph.addGradients(loss, filters.toArray(new Output<?>[0])));
  }

  private static GraphOperation argmax(Tf tf, Output<?> x, long k, long s, String pad) {
    return tf.op("MaxPoolWithArgmax", b -> b.setAttr("ksize", new long[] {1, k, k, 1})
        .setAttr("strides", new long[] {1, s, s, 1}).setAttr("padding", pad).setAttr("Targmax", DataType.DT_INT64), x);
  }

  /**
   * The tutorial's un_max_pool, timed alone: pooled values and argmax come from one untimed
   * max_pool_with_argmax run and are fed as Placeholders; the graph is the batch-expanded scatter_nd.
   */
  private static List<Output<?>> unpool(Tf tf, BenchCase c, Random rnd, Map<Output<?>, Tensor> feeds,
      List<Tensor> owned, ConfigProto config) {
    long n = c.i("n");
    long h = c.i("h");
    long w = c.i("w");
    long ch = c.i("c");
    long k = c.i("k");
    long s = c.i("s");
    String pad = c.str("pad");
    Tensor pooledT;
    Tensor argmaxT;
    try (Tf pre = new Tf()) {
      Tensor x = random(rnd, n, h, w, ch);
      owned.add(x);
      Output<?> xp = pre.placeholder(DataType.DT_FLOAT, new long[] {n, h, w, ch});
      GraphOperation p = argmax(pre, xp, k, s, pad);
      try (Session sess = new Session(pre.graph, config)) {
        Result res = sess.runner().feed(xp, x).fetch(p.output(0)).fetch(p.output(1)).run();
        pooledT = res.get(0); // kept open (owned) for the timed runs; the Result itself is not closed
        argmaxT = res.get(1);
        owned.add(pooledT);
        owned.add(argmaxT);
      }
    }
    long[] ps = pooledT.shape().asArray();
    long size = pooledT.shape().size();
    Output<?> pooled = tf.placeholder(DataType.DT_FLOAT, ps);
    Output<?> mask = tf.placeholder(DataType.DT_INT64, ps);
    feeds.put(pooled, pooledT);
    feeds.put(mask, argmaxT);
    Output<?> ones = tf.op1("OnesLike", b -> { }, mask);
    Output<?> batchRange = tf.reshape(
        tf.op1("Range", b -> { }, tf.scalarInt64(0), tf.scalarInt64(n), tf.scalarInt64(1)), n, 1, 1, 1);
    Output<?> bIdx = tf.op1("Mul", b -> { }, ones, batchRange);
    Output<?> y = tf.op1("FloorDiv", b -> { }, mask, tf.scalarInt64(w * ch));
    Output<?> x = tf.op1("FloorDiv", b -> { }, tf.op1("FloorMod", b -> { }, mask, tf.scalarInt64(w * ch)), tf.scalarInt64(ch));
    Output<?> f = tf.op1("Mul", b -> { }, ones, tf.op1("Range", b -> { }, tf.scalarInt64(0), tf.scalarInt64(ch), tf.scalarInt64(1)));
    GraphOperation pack = tf.graph.opBuilder("Pack", "unpool_indices", tf.graph.baseScope())
        .addInputList(new Output<?>[] {bIdx, y, x, f}).setAttr("axis", 0L).build();
    Output<?> indices = tf.transpose(tf.reshape(pack.output(0), 4, size), 1, 0);
    Output<?> values = tf.reshape(pooled, size);
    return List.of(tf.op1("ScatterNd", b -> { }, indices, values, tf.constInt64(n, h, w, ch)));
  }

  static long out(long in, long k, long s, String pad) {
    return pad.equals("SAME") ? (in + s - 1) / s : (in - k) / s + 1;
  }

  private static Output<?> feed(Tf tf, Map<Output<?>, Tensor> feeds, List<Tensor> owned, Random rnd, long... shape) {
    Tensor t = random(rnd, shape);
    owned.add(t);
    Output<?> p = tf.placeholder(DataType.DT_FLOAT, shape);
    feeds.put(p, t);
    return p;
  }

  private static Tensor random(Random rnd, long... shape) {
    float[] a = new float[Math.toIntExact(Shape.of(shape).size())];
    for (int i = 0; i < a.length; i++) {
      a[i] = rnd.nextFloat() * 2 - 1;
    }
    return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(a, true, false));
  }
}
