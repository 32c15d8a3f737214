package io.github.deconvspark.jobs.gradients;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** numpy's .npy format, version 1.0: little-endian float64, C order (np.load reads it). */
public final class Npy {
    private Npy() {}

    public static byte[] float64(double[] values, int from, int to, long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != to - from) throw new IllegalArgumentException("Npy: " + (to - from) + " values for shape " + java.util.Arrays.toString(shape));
        StringBuilder dims = new StringBuilder();
        for (long d : shape) dims.append(d).append(", ");
        String s = shape.length == 1 ? dims.toString().trim() : dims.substring(0, Math.max(0, dims.length() - 2));
        StringBuilder header = new StringBuilder("{'descr': '<f8', 'fortran_order': False, 'shape': (" + s + "), }");
        // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n
        while ((10 + header.length() + 1) % 64 != 0) header.append(' ');
        header.append('\n');
        byte[] h = header.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + 8 * (to - from)).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) h.length).put(h);
        for (int i = from; i < to; i++) b.putDouble(values[i]);
        return b.array();
    }

    /**
     * One file name per parameter name (names come from untrusted model files): characters other than letters, digits,
     * '.', '_' and '-' become '_', a leading '.' too, at most 120 characters; a name already taken gets "-2", "-3", ...
     */
    public static java.util.List<String> fileNames(java.util.List<String> names) {
        java.util.Set<String> used = new java.util.HashSet<>();
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String n : names) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < n.length() && b.length() < 120; i++) {
                char c = n.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
                        || (c == '.' && b.length() > 0);
                b.append(ok ? c : '_');
            }
            if (b.length() == 0) b.append('_');
            String base = b.toString(), name = base;
            for (int k = 2; !used.add(name.toLowerCase(java.util.Locale.ROOT)); k++) name = base + "-" + k;
            out.add(name + ".npy");
        }
        return out;
    }
}
