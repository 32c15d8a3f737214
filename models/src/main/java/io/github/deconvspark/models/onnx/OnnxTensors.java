package io.github.deconvspark.models.onnx;

import io.github.deconvspark.models.io.ModelFiles;
import io.github.deconvspark.models.onnx.proto.Onnx.StringStringEntryProto;
import io.github.deconvspark.models.onnx.proto.Onnx.TensorProto;
import io.github.deconvspark.models.tfjs.Float16;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * ONNX tensors (initializers, Constant values) decoded: their raw_data (little-endian) or typed fields, or external data
 * in a file beside the model, named by a path that must stay inside the model's folder (the same rules as TF.js
 * shards: {@link ModelFiles#relativeShard}, {@link ModelFiles#resolveShard}), at an offset and length inside the
 * file. Shapes must be integers whose product fits; every error names the model, the tensor and the rule.
 */
final class OnnxTensors {
    private OnnxTensors() {}

    /** A decoded tensor: float values (FLOAT, FLOAT16, DOUBLE read as float) or integer values (INT64, INT32, ...). */
    record Decoded(String name, long[] shape, float[] floats, long[] ints, double[] doubles) {
        boolean isFloat() { return floats != null; }

        long size() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10,
            DOUBLE = 11, UINT32 = 12, UINT64 = 13;

    static String typeName(int t) {
        return switch (t) {
            case FLOAT -> "FLOAT"; case UINT8 -> "UINT8"; case INT8 -> "INT8"; case UINT16 -> "UINT16"; case INT16 -> "INT16";
            case INT32 -> "INT32"; case INT64 -> "INT64"; case BOOL -> "BOOL"; case FLOAT16 -> "FLOAT16"; case DOUBLE -> "DOUBLE";
            case UINT32 -> "UINT32"; case UINT64 -> "UINT64"; case 8 -> "STRING"; case 14 -> "COMPLEX64"; case 15 -> "COMPLEX128";
            case 16 -> "BFLOAT16";
            default -> "type " + t;
        };
    }

    /**
     * Decodes a tensor.
     *
     * @param folder the model's folder (external data is read from it)
     * @param where  names the model and the tensor, for messages
     * @param digest receives the bytes of external data (the model's SHA-256 covers them)
     */
    static Decoded decode(TensorProto t, Path folder, String where, MessageDigest digest) throws IOException {
        long[] shape = new long[t.getDimsCount()];
        long n = 1;
        for (int k = 0; k < shape.length; k++) {
            shape[k] = t.getDims(k);
            if (shape[k] < 0) throw new IllegalArgumentException(where + ": illegal shape " + dims(t) + ": a negative size");
            n = Math.multiplyExact(n, Math.max(shape[k], 1));
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(where + ": illegal shape " + dims(t) + ": more than 2^31 - 1 values");
        }
        for (long d : shape) if (d == 0) n = 0;
        int count = (int) n;
        int type = t.getDataType();
        int width = switch (type) {
            case FLOAT, INT32, UINT32 -> 4;
            case INT64, UINT64, DOUBLE -> 8;
            case FLOAT16, INT16, UINT16 -> 2;
            case UINT8, INT8, BOOL -> 1;
            default -> throw new IllegalArgumentException(where + ": data type " + typeName(type) + " is not supported (FLOAT, FLOAT16, "
                    + "DOUBLE and the integer types)");
        };
        ByteBuffer raw = null;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            raw = ByteBuffer.wrap(external(t, folder, where, (long) count * width, digest));
        } else if (!t.getRawData().isEmpty()) {
            raw = t.getRawData().asReadOnlyByteBuffer();
            if (raw.remaining() != (long) count * width) {
                throw new IllegalArgumentException(where + ": raw_data holds " + raw.remaining() + " bytes; shape " + dims(t) + " of "
                        + typeName(type) + " needs " + (long) count * width);
            }
        }
        if (raw != null) return fromRaw(t.getName(), shape, type, raw.order(ByteOrder.LITTLE_ENDIAN), count);
        return fromFields(t, shape, type, count, where);
    }

    private static Decoded fromRaw(String name, long[] shape, int type, ByteBuffer b, int count) {
        switch (type) {
            case FLOAT: {
                float[] f = new float[count];
                b.asFloatBuffer().get(f);
                return new Decoded(name, shape, f, null, null);
            }
            case DOUBLE: {
                double[] d = new double[count];
                b.asDoubleBuffer().get(d);
                return new Decoded(name, shape, toFloat(d), null, d);
            }
            case FLOAT16: {
                byte[] bytes = new byte[count * 2];
                b.get(bytes);
                return new Decoded(name, shape, Float16.decode(bytes, 0, count), null, null);
            }
            default: {
                long[] v = new long[count];
                for (int i = 0; i < count; i++) {
                    v[i] = switch (type) {
                        case INT64, UINT64 -> b.getLong();
                        case INT32 -> b.getInt();
                        case UINT32 -> b.getInt() & 0xffffffffL;
                        case INT16 -> b.getShort();
                        case UINT16 -> b.getShort() & 0xffff;
                        case INT8 -> b.get();
                        default -> b.get() & 0xff;       // UINT8, BOOL
                    };
                }
                return new Decoded(name, shape, null, v, null);
            }
        }
    }

    private static Decoded fromFields(TensorProto t, long[] shape, int type, int count, String where) {
        int have = switch (type) {
            case FLOAT -> t.getFloatDataCount();
            case DOUBLE -> t.getDoubleDataCount();
            case INT64 -> t.getInt64DataCount();
            case UINT32, UINT64 -> t.getUint64DataCount();
            default -> t.getInt32DataCount();            // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16 (bits)
        };
        if (have != count) {
            throw new IllegalArgumentException(where + ": holds " + have + " values; shape " + dims(t) + " needs " + count);
        }
        switch (type) {
            case FLOAT: {
                float[] f = new float[count];
                for (int i = 0; i < count; i++) f[i] = t.getFloatData(i);
                return new Decoded(t.getName(), shape, f, null, null);
            }
            case DOUBLE: {
                double[] d = new double[count];
                for (int i = 0; i < count; i++) d[i] = t.getDoubleData(i);
                return new Decoded(t.getName(), shape, toFloat(d), null, d);
            }
            case FLOAT16: {
                byte[] bytes = new byte[count * 2];
                for (int i = 0; i < count; i++) {
                    int bits = t.getInt32Data(i);
                    bytes[2 * i] = (byte) bits;
                    bytes[2 * i + 1] = (byte) (bits >> 8);
                }
                return new Decoded(t.getName(), shape, Float16.decode(bytes, 0, count), null, null);
            }
            default: {
                long[] v = new long[count];
                for (int i = 0; i < count; i++) {
                    v[i] = switch (type) {
                        case INT64 -> t.getInt64Data(i);
                        case UINT32, UINT64 -> t.getUint64Data(i);
                        default -> t.getInt32Data(i);
                    };
                }
                return new Decoded(t.getName(), shape, null, v, null);
            }
        }
    }

    /** External data: location (inside the model's folder), offset and length (within the file), exactly as many bytes as needed. */
    private static byte[] external(TensorProto t, Path folder, String where, long need, MessageDigest digest) throws IOException {
        String location = null;
        long offset = 0, length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = number(e.getValue(), where, "offset");
                case "length" -> length = number(e.getValue(), where, "length");
                case "checksum" -> { }
                default -> throw new IllegalArgumentException(where + ": external_data key '" + e.getKey() + "' is not known "
                        + "(location, offset, length, checksum)");
            }
        }
        if (location == null) throw new IllegalArgumentException(where + ": external data without a location");
        String at = where + ": external_data location";
        Path file = ModelFiles.resolveShard(folder, ModelFiles.relativeShard(location, at), at);
        if (length >= 0 && length != need) {
            throw new IllegalArgumentException(where + ": external data length " + length + " but the tensor needs " + need + " bytes");
        }
        long size = Files.size(file);
        if (offset < 0 || offset + need > size) {
            throw new IllegalArgumentException(where + ": external data at offset " + offset + " of " + need + " bytes lies outside "
                    + file + " (" + size + " bytes)");
        }
        if (need > ModelFiles.MAX_WEIGHT_BYTES) throw new IllegalArgumentException(where + ": " + need + " bytes of external data");
        byte[] b = new byte[(int) need];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            f.seek(offset);
            f.readFully(b);
        }
        digest.update(b);
        return b;
    }

    private static long number(String s, String where, String key) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": external_data " + key + " '" + s + "' is not an integer");
        }
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    static String dims(TensorProto t) {
        return Arrays.toString(t.getDimsList().stream().mapToLong(Long::longValue).toArray());
    }
}
