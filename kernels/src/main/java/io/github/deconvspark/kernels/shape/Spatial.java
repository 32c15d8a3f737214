package io.github.deconvspark.kernels.shape;

import java.util.Arrays;

/** Reads TensorFlow-style per-dimension arguments (strides, ksize, dilations) into {height, width}. */
public final class Spatial {
    private Spatial() {}

    /**
     * {@code values} may have 1 entry (both dimensions), 2 ({height, width}) or 4 (TF's full list in
     * {@code format} order, whose batch and channel entries must be 1). Every value must be >= 1.
     */
    public static int[] hw(String op, String name, int[] values, DataFormat format) {
        if (values == null) {
            throw new IllegalArgumentException(op + ": " + name + " is missing; give 1, 2 or 4 values");
        }
        int[] hw;
        switch (values.length) {
            case 1 -> hw = new int[] {values[0], values[0]};
            case 2 -> hw = values.clone();
            case 4 -> {
                int n = values[0];
                int c = format == DataFormat.NHWC ? values[3] : values[1];
                if (n != 1 || c != 1) {
                    throw new IllegalArgumentException(op + ": " + name + " " + Arrays.toString(values)
                            + " must be 1 in the batch and channel dimensions (data_format " + format + ")");
                }
                hw = format == DataFormat.NHWC ? new int[] {values[1], values[2]} : new int[] {values[2], values[3]};
            }
            default -> throw new IllegalArgumentException(op + ": " + name + " " + Arrays.toString(values)
                    + " has " + values.length + " entries; give 1, 2 or 4 values");
        }
        if (hw[0] < 1 || hw[1] < 1) {
            throw new IllegalArgumentException(op + ": " + name + " " + Arrays.toString(values)
                    + " must be >= 1 in every spatial dimension");
        }
        return hw;
    }
}
