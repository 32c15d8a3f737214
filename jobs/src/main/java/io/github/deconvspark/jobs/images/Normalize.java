package io.github.deconvspark.jobs.images;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;

/**
 * What a model expects of its pixels, applied to the prepared RGB values in [0, 1]: v' = (v * scale - mean[c]) / std[c].
 * Named forms: {@code none} (0..1, as TF.js models trained on /255 pixels), {@code imagenet} (torchvision's mean
 * 0.485,0.456,0.406 and std 0.229,0.224,0.225), {@code inception} (-1..1, Keras MobileNet/Inception preprocessing),
 * {@code 0-255} (raw byte values, Keras ResNet-style); or {@code mean=R,G,B;std=R,G,B} on 0..1 values.
 */
public record Normalize(String name, float scale, float[] mean, float[] std) implements Serializable {
    public static final Normalize NONE = new Normalize("none", 1, new float[] {0, 0, 0}, new float[] {1, 1, 1});

    public static final String FORMS = "none, imagenet, inception, 0-255, or mean=R,G,B;std=R,G,B";

    /** @throws IllegalArgumentException naming the value and the legal forms */
    public static Normalize parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "", "none": return NONE;
            case "imagenet": return new Normalize("imagenet", 1, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
            case "inception": return new Normalize("inception", 1, new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f});
            case "0-255": return new Normalize("0-255", 255, new float[] {0, 0, 0}, new float[] {1, 1, 1});
            default: break;
        }
        String[] parts = t.split(";");
        float[] mean = null, std = null;
        for (String p : parts) {
            String[] kv = p.split("=", 2);
            if (kv.length == 2 && kv[0].trim().equals("mean")) mean = three(kv[1], text);
            else if (kv.length == 2 && kv[0].trim().equals("std")) std = three(kv[1], text);
            else throw new IllegalArgumentException("normalize: '" + text + "' is not legal; use " + FORMS);
        }
        if (mean == null || std == null) throw new IllegalArgumentException("normalize: '" + text + "' needs both mean= and std=; use " + FORMS);
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("normalize: '" + text + "': std must be > 0");
        return new Normalize("mean=" + join(mean) + ";std=" + join(std), 1, mean, std);
    }

    private static float[] three(String s, String text) {
        String[] p = s.split(",");
        if (p.length != 3) throw new IllegalArgumentException("normalize: '" + text + "': mean and std take 3 numbers (R,G,B)");
        float[] f = new float[3];
        for (int i = 0; i < 3; i++) {
            try {
                f[i] = Float.parseFloat(p[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("normalize: '" + text + "': '" + p[i].trim() + "' is not a number");
            }
            if (!Float.isFinite(f[i])) throw new IllegalArgumentException("normalize: '" + text + "': '" + p[i].trim() + "' is not finite");
        }
        return f;
    }

    private static String join(float[] f) {
        return f[0] + "," + f[1] + "," + f[2];
    }

    /** Normalized copy of HWC values with {@code channels} channels (1: the mean and std of the first channel). */
    public float[] apply(float[] v, int channels) {
        if (this.equals(NONE)) return v;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            int c = channels == 1 ? 0 : i % channels;
            out[i] = (v[i] * scale - mean[c]) / std[c];
        }
        return out;
    }

    /** The chain rule through {@link #apply}: d/dv of a gradient given w.r.t. the normalized values (in place; returns it). */
    public double[] backprop(double[] gradient, int channels) {
        if (this.equals(NONE)) return gradient;
        for (int i = 0; i < gradient.length; i++) {
            int c = channels == 1 ? 0 : i % channels;
            gradient[i] = gradient[i] * scale / std[c];
        }
        return gradient;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Normalize n && n.scale == scale && Arrays.equals(n.mean, mean) && Arrays.equals(n.std, std);
    }

    @Override public int hashCode() { return Arrays.hashCode(mean) * 31 + Arrays.hashCode(std) + Float.hashCode(scale); }

    @Override public String toString() { return name; }
}
