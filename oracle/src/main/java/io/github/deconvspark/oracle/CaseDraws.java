package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.EXPLICIT;
import static io.github.deconvspark.oracle.Geometry.SAME;
import static io.github.deconvspark.oracle.Geometry.size;

import io.github.deconvspark.oracle.Geometry.Dim;
import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import java.util.Random;

/**
 * The random draws the kernels cases share, all from one seeded {@link Random}: every case family draws
 * from the same instance, in case order, so the same seed gives the same file.
 */
final class CaseDraws {
  private final Random rnd;

  CaseDraws(long seed) {
    this.rnd = new Random(seed);
  }

  int nextInt(int bound) {
    return rnd.nextInt(bound);
  }

  boolean nextBoolean() {
    return rnd.nextBoolean();
  }

  /**
   * Samples a forward dimension legal under {@code padding}. About one SAME case in six gets an input
   * smaller than the effective kernel; explicit pads are 0..padMax per side (so totals are often odd).
   */
  Dim sampleDim(String padding, int kMax, boolean dilate, int inMax, int padMax) {
    while (true) {
      int s = 1 + rnd.nextInt(3);
      int d = dilate ? 1 + rnd.nextInt(3) : 1;
      int k = 1 + rnd.nextInt(kMax);
      int ke = (k - 1) * d + 1;
      int in = padding.equals(SAME) && ke > 1 && rnd.nextInt(6) == 0
          ? 1 + rnd.nextInt(Math.min(ke - 1, inMax))
          : 1 + rnd.nextInt(inMax);
      int lo = 0;
      int hi = 0;
      if (padding.equals(EXPLICIT)) {
        lo = rnd.nextInt(padMax + 1);
        hi = rnd.nextInt(padMax + 1);
      }
      Dim dim = new Dim(in, k, s, d, lo, hi);
      if (dim.out(padding) >= 1) {
        return dim;
      }
    }
  }

  int batch() {
    return rnd.nextInt(5) < 2 ? 1 : 2 + rnd.nextInt(2);
  }

  int channels() {
    return 1 + rnd.nextInt(5);
  }

  Tensor uniform(String name, DType dt, long... shape) {
    int n = size(shape);
    if (dt == DType.F32) {
      float[] a = new float[n];
      for (int i = 0; i < n; i++) {
        a[i] = (float) (rnd.nextDouble() * 2 - 1);
      }
      return new Tensor(name, dt, shape, a);
    }
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextDouble() * 2 - 1;
    }
    return new Tensor(name, dt, shape, a);
  }

  /**
   * Integers for integer max pooling: int32 in [-1000, 1000] (signs and ties both occur), uint8 over its whole range
   * 0..255 (values above 127 are negative as Java bytes: the unsigned reading is what is tested).
   */
  Tensor integers(String name, DType dt, long... shape) {
    int n = size(shape);
    if (dt == DType.I32) {
      int[] a = new int[n];
      for (int i = 0; i < n; i++) {
        a[i] = rnd.nextInt(2001) - 1000;
      }
      return new Tensor(name, dt, shape, a);
    }
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) rnd.nextInt(256);
    }
    return new Tensor(name, dt, shape, b);
  }

  /** Distinct values in [-1, 1], at least 1/n apart: no max-pool window ever holds a tie. */
  Tensor distinct(String name, DType dt, long... shape) {
    int n = size(shape);
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    double step = 2.0 / n;
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = -1 + (perm[i] + 0.25 + 0.5 * rnd.nextDouble()) * step;
    }
    if (dt == DType.F64) {
      return new Tensor(name, dt, shape, v);
    }
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) v[i];
    }
    return new Tensor(name, dt, shape, f);
  }
}
