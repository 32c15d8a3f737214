package io.github.deconvspark.models.net;

import io.github.deconvspark.kernels.shape.ConvGeometry;
import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import io.github.deconvspark.kernels.shape.PoolParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A CNN to train, described in a small line format (docs/MODELS.md), with every shape worked out:
 *
 * <pre>
 * # LeNet-style
 * input 28 28 1           # height width channels (NHWC, values in [0,1])
 * conv 5x5 32 same        # kernel, filters, padding (same|valid), optional "stride S"
 * relu
 * maxpool 2x2             # window, optional "stride S" (default: the window), optional same|valid (default valid)
 * conv 5x5 64 same
 * relu
 * maxpool 2x2
 * flatten
 * dense 128
 * relu
 * dense 10                # the last layer must be dense: its units are the classes (logits)
 * </pre>
 *
 * Pure: parsing and shape arithmetic only (the graph is {@link Net}'s). Every error names the
 * line, the rule and the legal values.
 */
public final class NetSpec {
    /** One layer: kind, its name (conv1, pool1, dense1, ...; relu takes its input layer's name), and output shape (without batch). */
    public record Layer(String kind, String name, int k, int units, int stride, Padding padding, int[] inShape, int[] outShape) {
        /** The names of this layer's parameters (kernel, bias), empty for parameter-free layers. */
        public List<String> params() {
            return kind.equals("conv") || kind.equals("dense") ? List.of(name + "/kernel", name + "/bias") : List.of();
        }

        public long[] kernelShape() {
            return kind.equals("conv") ? new long[] {k, k, inShape[2], units} : new long[] {inShape[0], units};
        }

        public long[] biasShape() {
            return new long[] {units};
        }

        /** A conv layer's parameters (NHWC, no dilation), as the graph's conv2d takes them. */
        public ConvParams convParams() {
            return ConvParams.of(kind, new int[] {stride}, padding, DataFormat.NHWC, new int[] {1});
        }

        /** A pool layer's parameters (NHWC, a square window). */
        public PoolParams poolParams() {
            return PoolParams.of(kind, new int[] {k}, new int[] {stride}, padding, DataFormat.NHWC);
        }
    }

    public static final List<String> KINDS = List.of("input", "conv", "relu", "maxpool", "avgpool", "flatten", "dense");

    private final String text;
    private final int[] input;
    private final List<Layer> layers;

    private NetSpec(String text, int[] input, List<Layer> layers) {
        this.text = text;
        this.input = input;
        this.layers = layers;
    }

    public String text() { return text; }

    /** Input [height, width, channels]. */
    public int[] input() { return input.clone(); }

    public List<Layer> layers() { return layers; }

    public int classes() { return layers.get(layers.size() - 1).units(); }

    /** Parameter names and shapes in a fixed order (layer order, kernel then bias). */
    public List<ParamShape> params() {
        List<ParamShape> out = new ArrayList<>();
        for (Layer l : layers) {
            if (l.params().isEmpty()) continue;
            out.add(new ParamShape(l.name() + "/kernel", l.kernelShape()));
            out.add(new ParamShape(l.name() + "/bias", l.biasShape()));
        }
        return out;
    }

    public record ParamShape(String name, long[] shape) {
        public long size() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** Total number of parameters. */
    public long size() {
        return params().stream().mapToLong(ParamShape::size).sum();
    }

    /** Parses a description; {@code source} names it in errors (a file path). */
    public static NetSpec parse(String text, String source) {
        int[] shape = null;
        int[] input = null;
        List<Layer> layers = new ArrayList<>();
        int convs = 0, pools = 0, denses = 0;
        String[] lines = text.split("\r?\n", -1);
        for (int ln = 0; ln < lines.length; ln++) {
            String line = lines[ln];
            int hash = line.indexOf('#');
            if (hash >= 0) line = line.substring(0, hash);
            line = line.trim();
            if (line.isEmpty()) continue;
            String where = source + " line " + (ln + 1) + " ('" + line + "')";
            String[] w = line.toLowerCase(Locale.ROOT).split("\\s+");
            String kind = w[0];
            if (!KINDS.contains(kind)) throw new IllegalArgumentException(where + ": unknown layer '" + kind + "'; layers: " + String.join(", ", KINDS));
            if (input == null && !kind.equals("input")) throw new IllegalArgumentException(where + ": the first layer must be 'input H W C'");
            switch (kind) {
                case "input" -> {
                    if (input != null) throw new IllegalArgumentException(where + ": a second 'input' line; there is one input");
                    if (w.length != 4) throw new IllegalArgumentException(where + ": 'input' takes height, width and channels, e.g. 'input 28 28 1'");
                    input = new int[] {num(w[1], where, "height", 1, 4096), num(w[2], where, "width", 1, 4096), num(w[3], where, "channels", 1, 4096)};
                    shape = input.clone();
                }
                case "conv" -> {
                    requireRank(shape, 3, where, "conv needs an image-shaped input (before flatten)");
                    if (w.length < 3) throw new IllegalArgumentException(where + ": 'conv' takes a kernel and a filter count, e.g. 'conv 5x5 32 same'");
                    int k = square(w[1], where);
                    int filters = num(w[2], where, "filters", 1, 1 << 16);
                    Opts o = options(w, 3, where, 1, Padding.VALID);
                    Layer l = new Layer("conv", "conv" + (++convs), k, filters, o.stride, o.padding, shape, null);
                    int[] out = spatial(l, where);
                    layers.add(new Layer(l.kind(), l.name(), k, filters, o.stride, o.padding, shape, out));
                    shape = out;
                }
                case "maxpool", "avgpool" -> {
                    requireRank(shape, 3, where, kind + " needs an image-shaped input (before flatten)");
                    if (w.length < 2) throw new IllegalArgumentException(where + ": '" + kind + "' takes a window, e.g. '" + kind + " 2x2'");
                    int k = square(w[1], where);
                    Opts o = options(w, 2, where, k, Padding.VALID);
                    Layer l = new Layer(kind, "pool" + (++pools), k, 0, o.stride, o.padding, shape, null);
                    int[] out = spatial(l, where);
                    layers.add(new Layer(kind, l.name(), k, 0, o.stride, o.padding, shape, out));
                    shape = out;
                }
                case "relu" -> {
                    if (w.length != 1) throw new IllegalArgumentException(where + ": 'relu' takes no arguments");
                    if (layers.isEmpty()) throw new IllegalArgumentException(where + ": relu needs a layer before it");
                    if (layers.get(layers.size() - 1).kind().equals("relu")) throw new IllegalArgumentException(where + ": relu right after relu changes nothing; remove one");
                    layers.add(new Layer("relu", layers.get(layers.size() - 1).name(), 0, 0, 1, null, shape, shape));
                }
                case "flatten" -> {
                    if (w.length != 1) throw new IllegalArgumentException(where + ": 'flatten' takes no arguments");
                    requireRank(shape, 3, where, "flatten needs an image-shaped input (only once)");
                    long flat = (long) shape[0] * shape[1] * shape[2];
                    if (flat > 1 << 24) throw new IllegalArgumentException(where + ": flatten gives " + flat + " values; at most " + (1 << 24));
                    int[] out = {(int) flat};
                    layers.add(new Layer("flatten", "flatten", 0, 0, 1, null, shape, out));
                    shape = out;
                }
                case "dense" -> {
                    requireRank(shape, 1, where, "dense needs a flat input: add 'flatten' before it");
                    if (w.length != 2) throw new IllegalArgumentException(where + ": 'dense' takes a unit count, e.g. 'dense 10'");
                    int units = num(w[1], where, "units", 1, 1 << 20);
                    int[] out = {units};
                    layers.add(new Layer("dense", "dense" + (++denses), 0, units, 1, null, shape, out));
                    shape = out;
                }
                default -> throw new AssertionError(kind);
            }
        }
        if (input == null) throw new IllegalArgumentException(source + ": no 'input H W C' line (an empty description?)");
        if (layers.isEmpty() || !layers.get(layers.size() - 1).kind().equals("dense")) {
            throw new IllegalArgumentException(source + ": the last layer must be 'dense N' (N = the number of classes; its output are the logits)");
        }
        if (layers.get(layers.size() - 1).units() < 2) throw new IllegalArgumentException(source + ": the last dense layer needs >= 2 units (classes)");
        NetSpec spec = new NetSpec(text, input, List.copyOf(layers));
        if (spec.size() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(source + ": " + spec.size() + " parameters; at most " + (Integer.MAX_VALUE - 8) + " (one Java array)");
        }
        return spec;
    }

    private record Opts(int stride, Padding padding) {}

    private static Opts options(String[] w, int from, String where, int stride, Padding padding) {
        for (int i = from; i < w.length; i++) {
            switch (w[i]) {
                case "same" -> padding = Padding.SAME;
                case "valid" -> padding = Padding.VALID;
                case "stride" -> {
                    if (i + 1 >= w.length) throw new IllegalArgumentException(where + ": 'stride' needs a number");
                    stride = num(w[++i], where, "stride", 1, 64);
                }
                default -> throw new IllegalArgumentException(where + ": unknown option '" + w[i] + "'; options: same, valid, stride S");
            }
        }
        return new Opts(stride, padding);
    }

    /** A conv or pool layer's output shape [H, W, C], from the same parameters the graph's op is built with. */
    private static int[] spatial(Layer l, String where) {
        int[] in = l.inShape();
        long[] x = {1, in[0], in[1], in[2]};
        try {
            ConvGeometry g = l.kind().equals("conv") ? l.convParams().geometry(l.kind(), x, l.kernelShape())
                    : l.poolParams().geometry(l.kind(), x);
            return new int[] {g.h().out(), g.w().out(), g.oc()};
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static void requireRank(int[] shape, int rank, String where, String rule) {
        if (shape.length != rank) throw new IllegalArgumentException(where + ": " + rule + "; the input here is " + Arrays.toString(shape));
    }

    private static int square(String s, String where) {
        String[] p = s.split("x");
        if (p.length == 1) return num(p[0], where, "window", 1, 64);
        if (p.length != 2 || !p[0].equals(p[1])) {
            throw new IllegalArgumentException(where + ": window '" + s + "' must be square, KxK (e.g. 5x5) or K");
        }
        return num(p[0], where, "window", 1, 64);
    }

    private static int num(String s, String where, String what, int lo, int hi) {
        int v;
        try {
            v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": " + what + " '" + s + "' is not an integer (" + lo + ".." + hi + ")");
        }
        if (v < lo || v > hi) throw new IllegalArgumentException(where + ": " + what + " " + v + " is out of range " + lo + ".." + hi);
        return v;
    }

    /** A one-line summary, e.g. "28x28x1 -> conv1 5x5x32 -> ... -> dense2 10 (431k parameters)". */
    public String summary() {
        StringBuilder b = new StringBuilder(input[0] + "x" + input[1] + "x" + input[2]);
        for (Layer l : layers) {
            b.append(" -> ").append(switch (l.kind()) {
                case "conv" -> l.name() + " " + l.k() + "x" + l.k() + "x" + l.units();
                case "maxpool", "avgpool" -> l.kind() + " " + l.k() + "x" + l.k();
                case "dense" -> l.name() + " " + l.units();
                default -> l.kind();
            });
        }
        return b.append(String.format(Locale.ROOT, " (%,d parameters)", size())).toString();
    }

    @Override public String toString() {
        return summary();
    }
}
