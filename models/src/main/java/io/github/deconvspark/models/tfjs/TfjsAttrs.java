package io.github.deconvspark.models.tfjs;

import io.github.deconvspark.kernels.shape.ConvParams;
import io.github.deconvspark.kernels.shape.DataFormat;
import io.github.deconvspark.kernels.shape.Padding;
import java.util.Arrays;

/**
 * The attributes of a TF NodeDef that carry geometry, read as TF requires them: data_format (NHWC or NCHW), padding
 * (required; EXPLICIT with its 8 explicit_paddings), 4-entry strides, ksize and dilations. Every error names the
 * node and the model file ({@code source}).
 */
final class TfjsAttrs {
    private TfjsAttrs() {}

    static DataFormat format(TfjsNode n, String source) {
        String f = n.string("data_format", "NHWC");
        return switch (f) {
            case "NHWC" -> DataFormat.NHWC;
            case "NCHW" -> DataFormat.NCHW;
            default -> throw new IllegalArgumentException(n + " of " + source + ": data_format '" + f + "' is not supported (NHWC, NCHW)");
        };
    }

    static Padding padding(TfjsNode n, DataFormat f, String source) {
        String p = n.string("padding", null);
        if (p == null) throw new IllegalArgumentException(n + " of " + source + ": no padding attr (TF requires one: SAME, VALID or EXPLICIT)");
        switch (p) {
            case "SAME": return Padding.SAME;
            case "VALID": return Padding.VALID;
            case "EXPLICIT": {
                int[] e = n.ints("explicit_paddings", new int[0]);
                if (e.length != 8) {
                    throw new IllegalArgumentException(n + " of " + source + ": EXPLICIT padding needs 8 explicit_paddings, got "
                            + Arrays.toString(e));
                }
                int h = f == DataFormat.NHWC ? 2 : 4;
                return Padding.explicit(e[h], e[h + 1], e[h + 2], e[h + 3]);
            }
            default: throw new IllegalArgumentException(n + " of " + source + ": padding '" + p + "' is not supported");
        }
    }

    /** A conv node's parameters, from its attributes (4-entry strides and dilations, padding required). */
    static ConvParams convParams(TfjsNode n, String source) {
        DataFormat f = format(n, source);
        return ConvParams.of(n.op(), four(n, "strides", null, source), padding(n, f, source), f,
                four(n, "dilations", new int[] {1, 1, 1, 1}, source));
    }

    /** A 4-entry list attr (strides, dilations, ksize of a NodeDef: TF requires 4; none means {@code dflt}, or is an error). */
    static int[] four(TfjsNode n, String key, int[] dflt, String source) {
        int[] v = n.ints(key, null);
        if (v == null) {
            if (dflt != null) return dflt;
            throw new IllegalArgumentException(n + " of " + source + ": no " + key + " attr (TF requires 4 entries)");
        }
        if (v.length != 4) {
            throw new IllegalArgumentException(n + " of " + source + ": attr " + key + " " + Arrays.toString(v) + " has " + v.length
                    + " entries; TF requires 4");
        }
        return v;
    }
}
