package io.github.deconvspark.kernels.internal;

import static org.bytedeco.dnnl.global.dnnl.*;

import org.bytedeco.dnnl.dnnl_binary_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.PointerPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A per-channel vector against a channels-last float32 tensor (a bias, batch-norm's scale and offset) as one
 * oneDNN binary primitive: one pass over the tensor into a new array, with oneDNN's JIT kernels, instead of a
 * copy and an in-place row-vector op. Each result cell is the single IEEE operation {@code full[r, c] op vec[c]},
 * the same as any other kernel computes it (NaN and infinities propagate as IEEE says).
 */
public final class DnnlBinary {
    private DnnlBinary() {}

    /** The operation, full (op) vec. */
    public enum Op {
        ADD(dnnl_binary_add), SUB(dnnl_binary_sub), MUL(dnnl_binary_mul), DIV(dnnl_binary_div);

        final int alg;

        Op(int alg) { this.alg = alg; }
    }

    private record Shape(long rows, long channels, Op then) {}

    /**
     * {@code full (op) vec} broadcast over full's last dimension, as a new array of full's shape; null when
     * this path does not apply (not float32, not dense, vec's length not full's last dimension, oneDNN off or
     * without a JIT kernel for it): the caller computes it another way.
     */
    public static INDArray rows(Op op, INDArray full, INDArray vec) {
        return rows(op, full, vec, null, null);
    }

    /**
     * {@code (full (op) vec) (then) vec2} in one pass (a batch-norm's scale, then its offset), each step rounded to
     * float32 as two separate ops would be; null as above (vec2 too must be dense float32 of full's last dimension).
     */
    public static INDArray rows(Op op, INDArray full, INDArray vec, Op then, INDArray vec2) {
        if (!Dnnl.enabled() || full.dataType() != DataType.FLOAT || full.rank() < 1) return null;
        long c = full.size(full.rank() - 1);
        if (c < 1 || !Buf.isDense(full) || !channelVector(vec, c) || (then != null && !channelVector(vec2, c))) return null;
        long rows = full.length() / c;
        Dnnl.Plan p = Dnnl.plan(op, new Shape(rows, c, then), () -> build(op, rows, c, then));
        if (p == null) return null;
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, full.shape());
        Dnnl.PerThread t = Dnnl.perThread();
        dnnl_memory s0 = Dnnl.memory(p.srcMd, Dnnl.address(full));
        dnnl_memory s1 = Dnnl.memory(p.userWeightsMd, Dnnl.address(vec));
        dnnl_memory d = Dnnl.memory(p.dstMd, Dnnl.address(out));
        dnnl_memory s2 = then == null ? null : Dnnl.memory(p.userWeightsMd, Dnnl.address(vec2));
        try {
            if (s2 == null) Dnnl.execute(p.primitive, t.stream, DNNL_ARG_SRC_0, s0, DNNL_ARG_SRC_1, s1, DNNL_ARG_DST, d);
            else Dnnl.execute(p.primitive, t.stream, DNNL_ARG_SRC_0, s0, DNNL_ARG_SRC_1, s1, DNNL_ARG_DST, d, POST_OP_0_SRC_1, s2);
            Dnnl.check(dnnl_stream_wait(t.stream), "stream_wait");
        } finally {
            dnnl_memory_destroy(s0);
            dnnl_memory_destroy(s1);
            dnnl_memory_destroy(d);
            if (s2 != null) dnnl_memory_destroy(s2);
        }
        return out;
    }

    /** DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1: the second operand of the first post-op. */
    private static final int POST_OP_0_SRC_1 = DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | DNNL_ARG_SRC_1;

    private static boolean channelVector(INDArray v, long c) {
        return v != null && v.dataType() == DataType.FLOAT && v.length() == c && Buf.isDense(v);
    }

    /**
     * The primitive for [rows, c] (op) [1, c], then (then) [1, c] when then is not null (as [rows, c, 1, 1] channels-last:
     * oneDNN's per-channel broadcast runs about twice as fast on it as on [rows, c]), or null when oneDNN refuses it or
     * has only its reference kernel.
     */
    private static Dnnl.Plan build(Op op, long rows, long c, Op then) {
        dnnl_memory_desc_t src0 = Dnnl.desc(new long[] {rows, c, 1, 1}, dnnl_nhwc);
        dnnl_memory_desc_t src1 = Dnnl.desc(new long[] {1, c, 1, 1}, dnnl_nhwc);
        dnnl_binary_desc_t desc = new dnnl_binary_desc_t();
        if (dnnl_binary_desc_init(desc, op.alg, src0, src1, src0) != dnnl_success) return null;
        dnnl_primitive_attr attr = null;
        dnnl_post_ops ops = null;
        if (then != null) {
            attr = new dnnl_primitive_attr();
            ops = new dnnl_post_ops();
            Dnnl.check(dnnl_primitive_attr_create(attr), "primitive_attr_create");
            Dnnl.check(dnnl_post_ops_create(ops), "post_ops_create");
            Dnnl.check(dnnl_post_ops_append_binary(ops, then.alg, src1), "post_ops_append_binary");
            Dnnl.check(dnnl_primitive_attr_set_post_ops(attr, ops), "primitive_attr_set_post_ops");
        }
        dnnl_primitive_desc pd = Dnnl.primitiveDesc(desc, attr, null);
        if (attr != null) {
            dnnl_post_ops_destroy(ops);
            dnnl_primitive_attr_destroy(attr);
        }
        if (pd == null) return null;
        String impl = Dnnl.implInfo(pd);
        if (impl.startsWith("ref")) {
            dnnl_primitive_desc_destroy(pd);
            return null;
        }
        PointerPointer<dnnl_primitive> out = new PointerPointer<>(1);
        Dnnl.check(dnnl_primitive_create(out, pd), "binary primitive_create");
        dnnl_primitive_desc_destroy(pd);
        return new Dnnl.Plan(impl, out.get(dnnl_primitive.class, 0), src0, src0, src1, null, null, null);
    }
}
