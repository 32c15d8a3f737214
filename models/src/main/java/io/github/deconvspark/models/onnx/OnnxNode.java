package io.github.deconvspark.models.onnx;

import io.github.deconvspark.models.onnx.proto.Onnx.AttributeProto;
import io.github.deconvspark.models.onnx.proto.Onnx.NodeProto;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One ONNX node with its attributes, read strictly: an op declares the attributes it knows ({@link #allow}) and any
 * other one is refused, naming the op, the node and the attribute, since a silently ignored attribute means a wrong
 * graph. Inputs and outputs are value names; an empty name is an omitted optional input.
 */
final class OnnxNode {
    final NodeProto proto;
    final String op;
    final String name;
    final String source;
    private final Map<String, AttributeProto> attrs = new LinkedHashMap<>();

    OnnxNode(NodeProto p, int index, String source) {
        this.proto = p;
        this.op = p.getOpType();
        this.name = p.getName().isEmpty() ? op + "_" + index + " (unnamed; output " + (p.getOutputCount() > 0 ? p.getOutput(0) : "none") + ")"
                : p.getName();
        this.source = source;
        for (AttributeProto a : p.getAttributeList()) {
            if (attrs.put(a.getName(), a) != null) throw error("attribute " + a.getName() + " is given twice");
        }
    }

    /** Refuses any attribute the op does not know. */
    void allow(String... known) {
        Set<String> k = Set.of(known);
        for (String a : attrs.keySet()) {
            if (!k.contains(a)) {
                throw error("attribute " + a + " is not supported" + (known.length == 0 ? " (the op takes none here)"
                        : " (supported: " + String.join(", ", known) + ")"));
            }
        }
    }

    IllegalArgumentException error(String what) {
        return new IllegalArgumentException(source + ": node '" + name + "' (" + op + "): " + what);
    }

    boolean has(String a) { return attrs.containsKey(a); }

    List<String> inputs() { return proto.getInputList(); }

    /** Input i's name, or null when absent or empty (an omitted optional input). */
    String input(int i) {
        return i < proto.getInputCount() && !proto.getInput(i).isEmpty() ? proto.getInput(i) : null;
    }

    String output(int i) { return proto.getOutput(i); }

    int outputs() { return proto.getOutputCount(); }

    private AttributeProto get(String a, AttributeProto.AttributeType type) {
        AttributeProto p = attrs.get(a);
        if (p == null) return null;
        if (p.hasType() && p.getType() != type) throw error("attribute " + a + " is " + p.getType() + ", expected " + type);
        return p;
    }

    long integer(String a, long dflt) {
        AttributeProto p = get(a, AttributeProto.AttributeType.INT);
        return p == null ? dflt : p.getI();
    }

    float real(String a, float dflt) {
        AttributeProto p = get(a, AttributeProto.AttributeType.FLOAT);
        return p == null ? dflt : p.getF();
    }

    String string(String a, String dflt) {
        AttributeProto p = get(a, AttributeProto.AttributeType.STRING);
        return p == null ? dflt : p.getS().toString(StandardCharsets.UTF_8);
    }

    /** A list of ints, or null when absent. */
    long[] ints(String a) {
        AttributeProto p = get(a, AttributeProto.AttributeType.INTS);
        return p == null ? null : p.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    float[] floats(String a) {
        AttributeProto p = get(a, AttributeProto.AttributeType.FLOATS);
        if (p == null) return null;
        float[] f = new float[p.getFloatsCount()];
        for (int i = 0; i < f.length; i++) f[i] = p.getFloats(i);
        return f;
    }

    AttributeProto tensorAttr(String a) {
        return get(a, AttributeProto.AttributeType.TENSOR);
    }

    /** An int list attribute as 32-bit ints of an expected length (the spatial dims), with a default. */
    int[] ints32(String a, int length, int[] dflt) {
        long[] v = ints(a);
        if (v == null) return dflt;
        if (v.length != length) throw error("attribute " + a + " " + Arrays.toString(v) + " has " + v.length + " entries; expected " + length);
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE) throw error("attribute " + a + " " + Arrays.toString(v) + " is out of range");
            out[i] = (int) v[i];
        }
        return out;
    }

    @Override public String toString() {
        return op + " node '" + name + "'";
    }
}
