package io.github.deconvspark.jobs.visualize;

import java.sql.Timestamp;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The visualize job's tables (the listing, activations.parquet, projections.parquet) and their column helpers. */
final class Tables {
    private Tables() {}

    static final StructType LISTING = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("length", DataTypes.LongType, false)
            .add("modificationTime", DataTypes.TimestampType, false);

    static final StructType ACTIVATIONS = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("length", DataTypes.LongType, false)
            .add("modificationTime", DataTypes.TimestampType, false)
            .add("ok", DataTypes.BooleanType, false)
            .add("rule", DataTypes.StringType, true)
            .add("reason", DataTypes.StringType, true)
            .add("note", DataTypes.StringType, true)
            .add("width", DataTypes.IntegerType, false)
            .add("height", DataTypes.IntegerType, false)
            .add("values", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("positions", DataTypes.createArrayType(DataTypes.IntegerType, false), true);

    static final StructType PROJECTIONS = new StructType()
            .add("unit", DataTypes.IntegerType, false)
            .add("layer", DataTypes.StringType, false)
            .add("node", DataTypes.StringType, false)
            .add("channel", DataTypes.IntegerType, false)
            .add("rank", DataTypes.IntegerType, false)
            .add("image", DataTypes.StringType, false)
            .add("activation", DataTypes.FloatType, false)
            .add("y", DataTypes.IntegerType, false)
            .add("x", DataTypes.IntegerType, false)
            .add("box", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("method", DataTypes.StringType, false)
            .add("projection_file", DataTypes.StringType, false)
            .add("patch_file", DataTypes.StringType, false)
            .add("shape", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("values", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("deletion_auc", DataTypes.DoubleType, true)
            .add("insertion_auc", DataTypes.DoubleType, true)
            .add("deletion", DataTypes.createArrayType(DataTypes.DoubleType, false), true)
            .add("insertion", DataTypes.createArrayType(DataTypes.DoubleType, false), true);

    /** Spark array columns from primitive arrays. */
    static Float[] boxed(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) b[i] = v[i];
        return b;
    }

    static Double[] boxed(double[] v) {
        if (v == null) return null;
        Double[] b = new Double[v.length];
        for (int i = 0; i < v.length; i++) b[i] = v[i];
        return b;
    }

    static Integer[] boxed(int[] v) {
        Integer[] b = new Integer[v.length];
        for (int i = 0; i < v.length; i++) b[i] = v[i];
        return b;
    }

    /** A listing row's identity for reuse: path, size and time. */
    static String key(Row r) {
        return r.getString(0) + "\u0000" + r.getLong(1) + "\u0000" + ((Timestamp) r.get(2)).getTime();
    }
}
