package io.github.deconvspark.oracle;

import static io.github.deconvspark.oracle.Geometry.size;

import io.github.deconvspark.oracle.RefFormat.DType;
import io.github.deconvspark.oracle.RefFormat.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The random data of the gradient cases, all from one seeded {@link Random}: the cases' inputs and each
 * case's {@code grad_y} are drawn from the same instance, in case order, so the same seed gives the same file.
 */
final class GradientDraws {
  final Random rnd;

  GradientDraws(long seed) {
    this.rnd = new Random(seed);
  }

  Tensor uniform(String name, DType dt, long... shape) {
    double[] v = new double[size(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextDouble() * 2 - 1;
    }
    return tensor(name, dt, shape, v);
  }

  Tensor positive(String name, DType dt, long... shape) {
    double[] v = new double[size(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = 0.5 + rnd.nextDouble() * 2;
    }
    return tensor(name, dt, shape, v);
  }

  Tensor awayFromZero(String name, DType dt, long... shape) {
    double[] v = new double[size(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (0.5 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1);
    }
    return tensor(name, dt, shape, v);
  }

  /** A random permutation of evenly spaced values: no two within 1/n of each other. */
  Tensor distinct(String name, DType dt, long... shape) {
    int n = size(shape);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, rnd);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = (order.get(i) + 0.5) / n * 2 - 1;
    }
    return tensor(name, dt, shape, v);
  }

  /** Rows that are probability distributions (soft labels). */
  Tensor probabilities(String name, DType dt, int n, int k) {
    double[] v = new double[n * k];
    for (int r = 0; r < n; r++) {
      double sum = 0;
      for (int j = 0; j < k; j++) {
        v[r * k + j] = 0.1 + rnd.nextDouble();
        sum += v[r * k + j];
      }
      for (int j = 0; j < k; j++) {
        v[r * k + j] /= sum;
      }
    }
    return tensor(name, dt, new long[] {n, k}, v);
  }

  private static Tensor tensor(String name, DType dt, long[] shape, double[] v) {
    if (dt == DType.F64) {
      return new Tensor(name, dt, shape, v);
    }
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return new Tensor(name, dt, shape, f);
  }
}
