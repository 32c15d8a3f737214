package io.github.deconvspark.kernels.shape;

/**
 * TensorFlow's sliding-window arithmetic along one spatial dimension (from
 * {@code kernel_shape_util.cc}): output size and the padding before/after.
 * Pure arithmetic, no tensors; every failed rule says what was given and what is legal.
 */
public record Window(int in, int k, int stride, int dilation, int padBefore, int padAfter, int out) {

    /** Effective kernel extent {@code (k-1)*d + 1}. */
    public int extent() {
        return effectiveKernel(k, dilation);
    }

    /** Input coordinate of output cell {@code o}'s first tap (may be negative: padding). */
    public int start(int o) {
        return o * stride - padBefore;
    }

    public static int effectiveKernel(int k, int dilation) {
        return (k - 1) * dilation + 1;
    }

    /**
     * The window of a forward op (conv2d, pools) over an input of size {@code in}.
     *
     * @param op  the op's name, for messages ("conv2d", "max_pool", ...)
     * @param dim "height" or "width", for messages
     * @param before whether explicit padding uses top/left (true) for this dimension
     */
    public static Window forward(String op, String dim, int in, int k, int stride, int dilation, Padding padding) {
        return forward(op, dim, in, k, stride, dilation, padding, false);
    }

    /**
     * The window of a forward op, with ONNX's (and PyTorch's) {@code ceil_mode} for VALID and explicit padding:
     * {@code out = ceil((in + pads - ke) / s) + 1}, less one when that last window would start at or after the end of
     * the input (it must start inside the input or its before-padding). Such a last window may reach past the
     * after-padding; padBefore and padAfter stay the given amounts. SAME already rounds up: ceilMode changes nothing.
     */
    public static Window forward(String op, String dim, int in, int k, int stride, int dilation, Padding padding,
                                 boolean ceilMode) {
        if (in < 1) {
            throw new IllegalArgumentException(op + ": input " + dim + " is " + in + "; it must be >= 1");
        }
        requireSupported(op, dim, in, k, stride, dilation, padding);
        int ke = effectiveKernel(k, dilation);
        switch (padding.kind()) {
            case VALID -> {
                if (in < ke) {
                    throw new IllegalArgumentException(op + ": with VALID padding the input " + dim + " (" + in
                            + ") must be >= the effective kernel " + dim + " (k-1)*dilation+1 = " + ke
                            + " (k=" + k + ", dilation=" + dilation + "); use SAME padding or a smaller kernel");
                }
                return new Window(in, k, stride, dilation, 0, 0, outSize(in, 0, 0, ke, stride, ceilMode));
            }
            case SAME -> {
                int out = ceilDiv(in, stride);
                int total = Math.max(0, (out - 1) * stride + ke - in);
                return new Window(in, k, stride, dilation, total / 2, total - total / 2, out);
            }
            default -> {
                boolean h = dim.equals("height");
                int pb = h ? padding.top() : padding.left();
                int pa = h ? padding.bottom() : padding.right();
                int padded = in + pb + pa;
                if (padded < ke) {
                    throw new IllegalArgumentException(op + ": with explicit padding the padded input " + dim
                            + " (" + in + " + " + pb + " + " + pa + " = " + padded
                            + ") must be >= the effective kernel " + dim + " (k-1)*dilation+1 = " + ke);
                }
                return new Window(in, k, stride, dilation, pb, pa, outSize(in, pb, pa, ke, stride, ceilMode));
            }
        }
    }

    /** VALID/explicit output size of a padded input that holds the effective kernel, floor or ceil. */
    private static int outSize(int in, int pb, int pa, int ke, int stride, boolean ceilMode) {
        long span = (long) in + pb + pa - ke;
        if (!ceilMode) return (int) (span / stride + 1);
        long out = (span + stride - 1) / stride + 1;
        if ((out - 1) * stride >= (long) in + pb) out--;
        return (int) out;
    }

    /**
     * Cells the last window reaches past the padded input (ceil mode only; 0 otherwise): kernels that size their
     * output from the padding alone cannot compute such a window.
     */
    public int overhang() {
        return (int) Math.max(0, (long) (out - 1) * stride + extent() - ((long) in + padBefore + padAfter));
    }

    /** Taps of window {@code o} inside [lo, hi) (input coordinates): {first, end}, end exclusive, maybe empty. */
    public int[] taps(int o, int lo, int hi) {
        int start = start(o);
        int first = Math.max(0, Math.floorDiv(lo - start + dilation - 1, dilation));
        int end = Math.min(k, Math.floorDiv(hi - start + dilation - 1, dilation));
        return new int[] {first, Math.max(first, end)};
    }

    /**
     * The first window that holds no input cell (all its taps in padding, or the input between dilated taps), or -1.
     * Only windows starting in the before-padding need a look: one starting inside the input reads it at its first
     * tap, and one starting past its end reads nothing.
     */
    public int firstEmptyWindow() {
        int o = 0;
        for (; o < out && start(o) < 0; o++) {
            int[] t = taps(o, 0, in);
            if (t[0] == t[1]) return o;
        }
        long past = Math.max(o, ((long) in + padBefore + stride - 1) / stride);
        return past < out ? (int) past : -1;
    }

    /**
     * The legal output sizes {@code [lo, hi]} of conv2d_transpose along one dimension: exactly
     * the sizes {@code o} for which the forward op maps {@code o} to {@code valueSize}.
     * Returns null when no size is legal.
     */
    public static int[] transposeRange(int valueSize, int k, int stride, int dilation, Padding padding, String dim) {
        if (valueSize < 1 || (long) valueSize * stride + (long) (k - 1) * dilation > MAX_EXTENT) return null;
        int ke = effectiveKernel(k, dilation);
        int lo;
        int hi;
        switch (padding.kind()) {
            case SAME -> { lo = (valueSize - 1) * stride + 1; hi = valueSize * stride; }
            case VALID -> { lo = (valueSize - 1) * stride + ke; hi = lo + stride - 1; }
            default -> {
                boolean h = dim.equals("height");
                int pads = h ? padding.top() + padding.bottom() : padding.left() + padding.right();
                lo = (valueSize - 1) * stride + ke - pads;
                hi = lo + stride - 1;
            }
        }
        lo = Math.max(lo, 1);
        // The formula is exact; checking both ends against the forward rule guards it (and huge pads).
        boolean ok = lo <= hi && mapsTo(lo, valueSize, k, stride, dilation, padding, dim)
                && mapsTo(hi, valueSize, k, stride, dilation, padding, dim);
        return ok ? new int[] {lo, hi} : null;
    }

    /** Largest extent (input, effective kernel, padded input, stride) the int index arithmetic supports. */
    public static final int MAX_EXTENT = 1 << 30;

    private static void requireSupported(String op, String dim, int in, int k, int stride, int dilation, Padding padding) {
        long ke = (long) (k - 1) * dilation + 1;
        long pads = padding.kind() != Padding.Kind.EXPLICIT ? 0 : dim.equals("height")
                ? (long) padding.top() + padding.bottom() : (long) padding.left() + padding.right();
        if (ke > MAX_EXTENT || stride > MAX_EXTENT || in + pads > MAX_EXTENT) {
            throw new IllegalArgumentException(op + ": " + dim + ": input " + in + ", effective kernel (k-1)*dilation+1 = "
                    + ke + " (k=" + k + ", dilation=" + dilation + "), stride " + stride + ", explicit padding " + pads
                    + ": each must be at most 2^30 = " + MAX_EXTENT);
        }
    }

    private static boolean mapsTo(int in, int valueSize, int k, int stride, int dilation, Padding padding, String dim) {
        try {
            return forward("", dim, in, k, stride, dilation, padding).out == valueSize;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
