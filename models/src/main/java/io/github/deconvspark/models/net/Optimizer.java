package io.github.deconvspark.models.net;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * The update rules of synchronous training, over flat float64 arrays, as TensorFlow/Keras define them:
 * <ul>
 *   <li>{@code sgd}: momentum SGD (tf.keras.optimizers.SGD): {@code v = m*v - lr*g; p += v} (m = 0: plain SGD)</li>
 *   <li>{@code adam}: Adam (tf.keras.optimizers.Adam): {@code m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 *       alpha = lr * sqrt(1-b2^t) / (1-b1^t); p -= alpha * m / (sqrt(v) + eps)}</li>
 * </ul>
 * The state (step count, moments) saves to and restores from a stream, so a resumed run continues exactly.
 */
public final class Optimizer {
    public static final List<String> KINDS = List.of("sgd", "adam");

    private final String kind;
    private final double momentum, beta1, beta2, epsilon;
    private double learningRate;
    private long steps;
    private final double[] m, v;

    private Optimizer(String kind, int size, double learningRate, double momentum, double beta1, double beta2, double epsilon) {
        this.kind = kind;
        this.learningRate = learningRate;
        this.momentum = momentum;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.m = new double[size];
        this.v = kind.equals("adam") ? new double[size] : null;
    }

    public static Optimizer sgd(int size, double learningRate, double momentum) {
        return new Optimizer("sgd", size, learningRate, momentum, 0, 0, 0);
    }

    public static Optimizer adam(int size, double learningRate, double beta1, double beta2, double epsilon) {
        return new Optimizer("adam", size, learningRate, 0, beta1, beta2, epsilon);
    }

    public String kind() { return kind; }

    public long steps() { return steps; }

    public double learningRate() { return learningRate; }

    public void setLearningRate(double lr) { this.learningRate = lr; }

    /** One update of {@code params} with the mean gradient {@code grad}. */
    public void step(double[] params, double[] grad) {
        if (params.length != m.length || grad.length != m.length) {
            throw new IllegalArgumentException("Optimizer.step: sizes " + params.length + "/" + grad.length + ", expected " + m.length);
        }
        steps++;
        if (kind.equals("sgd")) {
            for (int i = 0; i < params.length; i++) {
                m[i] = momentum * m[i] - learningRate * grad[i];
                params[i] += m[i];
            }
        } else {
            // tf.keras: alpha = lr * sqrt(1 - b2^t) / (1 - b1^t); p -= alpha * m / (sqrt(v) + eps)
            double alpha = learningRate * Math.sqrt(1 - Math.pow(beta2, steps)) / (1 - Math.pow(beta1, steps));
            for (int i = 0; i < params.length; i++) {
                double g = grad[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                params[i] -= alpha * m[i] / (Math.sqrt(v[i]) + epsilon);
            }
        }
    }

    public void save(DataOutputStream out) throws IOException {
        out.writeUTF(kind);
        out.writeLong(steps);
        out.writeInt(m.length);
        for (double d : m) out.writeDouble(d);
        if (v != null) for (double d : v) out.writeDouble(d);
    }

    /** Restores a state saved by {@link #save} from an optimizer of the same kind and size. */
    public void restore(DataInputStream in, String source) throws IOException {
        String k = in.readUTF();
        if (!k.equals(kind)) throw new IllegalArgumentException(source + ": the checkpoint's optimizer is " + k + ", this run's is " + kind);
        long s = in.readLong();
        int n = in.readInt();
        if (n != m.length) throw new IllegalArgumentException(source + ": the checkpoint's optimizer holds " + n + " values, this network " + m.length);
        steps = s;
        for (int i = 0; i < n; i++) m[i] = in.readDouble();
        if (v != null) for (int i = 0; i < n; i++) v[i] = in.readDouble();
    }
}
