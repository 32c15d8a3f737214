package io.github.deconvspark.models.tfjs;

/**
 * IEEE 754 binary16 to binary32, exactly (every half value is a float): the decode TF.js applies
 * to float16-quantized weights. Java 17 has no {@code Float.float16ToFloat} (it arrived in 20).
 */
public final class Float16 {
    private Float16() {}

    /** The float with the value of the half-precision bits in the low 16 bits of {@code bits}. */
    public static float toFloat(int bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        int f;
        if (exp == 0x1f) {
            f = sign | 0x7f800000 | (mant << 13);               // inf, or NaN keeping its payload
        } else if (exp != 0) {
            f = sign | ((exp - 15 + 127) << 23) | (mant << 13);  // normal
        } else if (mant == 0) {
            f = sign;                                            // signed zero
        } else {
            // subnormal: mant * 2^-24; normalize it for binary32
            int e = -14;
            while ((mant & 0x400) == 0) {
                mant <<= 1;
                e--;
            }
            mant &= 0x3ff;
            f = sign | ((e + 127) << 23) | (mant << 13);
        }
        return Float.intBitsToFloat(f);
    }

    /** Decodes {@code count} little-endian halves starting at {@code offset}. */
    public static float[] decode(byte[] data, int offset, int count) {
        float[] out = new float[count];
        for (int k = 0; k < count; k++) {
            int p = offset + 2 * k;
            out[k] = toFloat((data[p] & 0xff) | (data[p + 1] & 0xff) << 8);
        }
        return out;
    }
}
