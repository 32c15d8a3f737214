package io.github.deconvspark.oracle;

/** The window-op geometry of SEMANTICS.md: layouts, paddings, output sizes and TF's attribute lists. */
final class Geometry {
  static final String NHWC = "NHWC";
  static final String NCHW = "NCHW";
  static final String SAME = "SAME";
  static final String VALID = "VALID";
  static final String EXPLICIT = "EXPLICIT";

  private Geometry() {
  }

  /** One spatial dimension of a forward window op: input size, kernel, stride, dilation, explicit pads. */
  record Dim(int in, int k, int s, int d, int padLo, int padHi) {
    int ke() {
      return (k - 1) * d + 1;
    }

    /** Forward output size; -1 when the padding rule rejects the input size. */
    int out(String padding) {
      return switch (padding) {
        case SAME -> (in + s - 1) / s;
        case VALID -> in >= ke() ? (in - ke()) / s + 1 : -1;
        default -> in + padLo + padHi >= ke() ? (in + padLo + padHi - ke()) / s + 1 : -1;
      };
    }
  }

  static long[] shape(String fmt, long n, long h, long w, long c) {
    return fmt.equals(NHWC) ? new long[] {n, h, w, c} : new long[] {n, c, h, w};
  }

  /** A per-spatial-dim attribute as TF's 4-list in data_format order (batch and channel entries 1). */
  static long[] spatial4(String fmt, long h, long w) {
    return shape(fmt, 1, h, w, 1);
  }

  /** explicit_paddings in TF's layout: 4 (before, after) pairs in data_format order. */
  static long[] explicitPaddings(String fmt, String padding, Dim h, Dim w) {
    if (!padding.equals(EXPLICIT)) {
      return new long[0];
    }
    return fmt.equals(NHWC)
        ? new long[] {0, 0, h.padLo(), h.padHi(), w.padLo(), w.padHi(), 0, 0}
        : new long[] {0, 0, 0, 0, h.padLo(), h.padHi(), w.padLo(), w.padHi()};
  }

  /** [lo, hi] of the output sizes whose forward conv has {@code in} cells (explicit: total pad P). */
  static long[] legalTransposeRange(String pad, long in, long ke, long s, long p) {
    return switch (pad) {
      case SAME -> new long[] {(in - 1) * s + 1, in * s};
      case VALID -> new long[] {(in - 1) * s + ke, (in - 1) * s + ke + s - 1};
      default -> new long[] {Math.max(1, (in - 1) * s + ke - p), (in - 1) * s + ke - p + s - 1};
    };
  }

  static int size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return Math.toIntExact(n);
  }
}
