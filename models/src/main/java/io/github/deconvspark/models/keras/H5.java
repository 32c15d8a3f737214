package io.github.deconvspark.models.keras;

import io.github.deconvspark.models.io.ModelFiles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An HDF5 file (a legacy Keras .h5, or a .keras zip's model.weights.h5) read with jhdf from bytes already in memory (so
 * the bytes parsed are the bytes digested). The file is untrusted: jhdf's own exceptions become
 * IllegalArgumentExceptions naming the file and the object, and a dataset's size is checked against its expected shape
 * and a budget before it is read.
 */
final class H5 implements AutoCloseable {
    final String src;
    private final HdfFile file;
    private long budget = ModelFiles.MAX_WEIGHT_BYTES;

    H5(byte[] bytes, String src) {
        this.src = src;
        try {
            this.file = HdfFile.fromBytes(bytes);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(src + ": not a readable HDF5 file (" + e + ")", e);
        }
    }

    /** The node at {@code path}, or null when there is none. */
    Node node(String path) {
        try {
            return file.getByPath(path);
        } catch (io.jhdf.exceptions.HdfInvalidPathException e) {
            return null;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(src + ": cannot read HDF5 object '" + path + "' (" + e + ")", e);
        }
    }

    Node root() { return file; }

    Group group(String path, String what) {
        Node n = path.isEmpty() ? file : node(path);
        if (n == null) throw new IllegalArgumentException(src + ": " + what + ": there is no HDF5 group '" + path + "'");
        if (!n.isGroup()) throw new IllegalArgumentException(src + ": " + what + ": HDF5 object '" + path + "' is not a group");
        return (Group) n;
    }

    /** The names of a group's children. */
    List<String> children(Group g) {
        try {
            return new ArrayList<>(g.getChildren().keySet());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(src + ": cannot list HDF5 group '" + g.getPath() + "' (" + e + ")", e);
        }
    }

    /** A string attribute, or null when absent. */
    String string(Node n, String name) {
        Object v = attribute(n, name);
        if (v == null) return null;
        if (v instanceof String s) return s;
        throw new IllegalArgumentException(src + ": attribute '" + name + "' of '" + n.getPath() + "' is not a string ("
                + v.getClass().getSimpleName() + ")");
    }

    /** A string list attribute (Keras' layer_names, weight_names); an empty attribute (Keras writes [] as float64) is empty. */
    List<String> strings(Node n, String name) {
        Object v = attribute(n, name);
        if (v == null) return null;
        if (v instanceof String s) return List.of(s);
        if (v instanceof String[] a) return Arrays.asList(a);
        if (v.getClass().isArray() && java.lang.reflect.Array.getLength(v) == 0) return List.of();
        throw new IllegalArgumentException(src + ": attribute '" + name + "' of '" + n.getPath() + "' is not a list of strings ("
                + v.getClass().getSimpleName() + ")");
    }

    private Object attribute(Node n, String name) {
        try {
            Attribute a = n.getAttribute(name);
            if (a == null) return null;
            if (a.isEmpty()) return new double[0];
            return a.getData();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(src + ": cannot read attribute '" + name + "' of '" + n.getPath() + "' (" + e + ")", e);
        }
    }

    /**
     * The float32 (or float64, float16) dataset at {@code path}, which must be of {@code shape}; read only after its
     * declared shape and element size were checked.
     *
     * @param what names the layer and weight, for messages
     */
    INDArray floats(String path, long[] shape, KerasLayer l, String weight) {
        Node n = node(path);
        String at = "'" + path + "'";
        if (n == null) throw l.error("weight " + weight + ": " + src + " has no dataset " + at);
        if (!(n instanceof Dataset d)) throw l.error("weight " + weight + ": " + at + " in " + src + " is not a dataset");
        try {
            long[] dims = d.isScalar() ? new long[0] : d.getDimensionsAsLong();
            if (!Arrays.equals(dims, shape)) throw WeightSource.shapeError(l, weight, at + " in " + src, dims, shape);
            Class<?> t = d.getJavaType();
            if (t != float.class && t != double.class) {
                throw l.error("weight " + weight + ": dataset " + at + " in " + src + " holds " + t.getSimpleName()
                        + " values; float32 or float64 weights only");
            }
            long bytes = Math.multiplyExact(d.getSize(), t == float.class ? 4L : 8L);
            if (bytes > budget) {
                throw new IllegalArgumentException(src + ": the weights read add up to more than " + ModelFiles.MAX_WEIGHT_BYTES
                        + " bytes at " + at);
            }
            budget -= bytes;
            Object flat = d.isEmpty() ? (t == float.class ? new float[0] : new double[0]) : d.getDataFlat();
            long[] s = shape.length == 0 ? new long[] {} : shape;
            return flat instanceof float[] f ? Nd4j.create(f, s, 'c') : Nd4j.create((double[]) flat, s, 'c');
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(src + ": cannot read dataset " + at + " (" + l + ", weight " + weight + "): " + e, e);
        }
    }

    @Override public void close() {
        try {
            file.close();
        } catch (RuntimeException ignored) {
            // an in-memory file holds no resources worth failing for
        }
    }
}
