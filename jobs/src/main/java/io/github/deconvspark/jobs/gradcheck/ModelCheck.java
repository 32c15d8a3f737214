package io.github.deconvspark.jobs.gradcheck;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.Storage;
import io.github.deconvspark.jobs.images.ImagePrep;
import io.github.deconvspark.jobs.inputs.Entry;
import io.github.deconvspark.jobs.inputs.Listing;
import io.github.deconvspark.jobs.inputs.Reject;
import io.github.deconvspark.jobs.inputs.Uris;
import io.github.deconvspark.kernels.autodiff.GradientCheck;
import io.github.deconvspark.kernels.autodiff.Graph;
import io.github.deconvspark.kernels.autodiff.Ops;
import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.load.Models;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whole-model mode of the gradient check: a model (any format {@link Models#load} reads) loaded in float64 (its float32 weights
 * widened exactly), the loss = sum over its outputs of sum(output * r) with fixed random r, and the
 * gradient of the loss w.r.t. each parameter checked along random directions against central
 * finite differences, on real images. One case per (image, parameter).
 */
final class ModelCheck {
    private ModelCheck() {}

    /** The (image URI, parameter name) pairs to check. */
    static List<String[]> plan(JobConfig cfg, Configuration conf) throws IOException {
        if (cfg.get("images").isBlank()) throw new JobConfig.ConfigException("gradcheck: --model needs --images");
        String model = Uris.fromUser(cfg.get("model"));
        int k = cfg.getInt("model-images");
        List<String> params = new ArrayList<>();
        List<String> filters = cfg.get("model-params").equals("all") ? List.of() : cfg.list("model-params");
        int size;
        int side = cfg.getInt("input-size");
        try (Model m = Models.load(Storage.localModel(model, conf), 1, DataType.FLOAT, side > 0 ? new int[] {side, side} : null)) {
            size = (int) m.input().size(1);
            for (String p : m.parameters()) {
                if (filters.isEmpty() || filters.stream().anyMatch(p::contains)) params.add(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new JobConfig.ConfigException("gradcheck: --model " + Uris.display(model) + ": " + e.getMessage());
        }
        if (params.isEmpty()) throw new JobConfig.ConfigException("gradcheck: --model-params " + cfg.get("model-params") + " matches no parameter");
        List<String> images = new ArrayList<>();
        List<Entry> entries;
        try {
            entries = Listing.list(Uris.fromUser(cfg.get("images")), ImagePrep.Limits.DEFAULT.maxFileBytes(), conf);
        } catch (IOException e) {
            throw new JobConfig.ConfigException("gradcheck: --images " + cfg.get("images") + ": " + Reject.causes(e));
        }
        for (Entry f : entries) {
            if (images.size() == k) break;
            if (f.ok() && ImagePrep.read(f.path(), size, ImagePrep.Limits.DEFAULT, conf).ok()) images.add(f.path());
        }
        if (images.isEmpty()) throw new JobConfig.ConfigException("gradcheck: no readable image under --images " + cfg.get("images"));
        List<String[]> out = new ArrayList<>();
        for (String img : images) for (String p : params) out.add(new String[] {img, p});
        return out;
    }

    /** A model loaded in float64 with its random-projection loss; shared by this JVM's tasks on it. */
    private static final class Loaded {
        final String uri;
        final Model model;
        final Tensor loss;
        /** Tasks using it now. */
        int users;

        Loaded(String uri, Model model, Tensor loss) {
            this.uri = uri;
            this.model = model;
            this.loss = loss;
        }
    }

    /**
     * The models this JVM's tasks check: one instance per model, loaded by the first task that needs it and shared by
     * all (running a built graph from several threads is safe; building is not, so each case's backward pass is
     * prepared under this lock); asking for another model closes the ones no task uses. A model in float64 may take
     * gigabytes (vgg11_bn's 133 M weights: 1 GB, 2.5 GB with the loader's transposed copies), so a JVM holds it once,
     * however many tasks and threads it runs.
     */
    private static final Map<String, Loaded> LOADED = new HashMap<>();

    private static Loaded borrow(String model, long seed, int inputSize, Configuration conf) throws IOException {
        synchronized (LOADED) {
            Loaded l = LOADED.get(model);
            if (l == null) {
                for (Iterator<Loaded> it = LOADED.values().iterator(); it.hasNext(); ) {
                    Loaded old = it.next();
                    if (old.users == 0) {
                        old.model.close();
                        it.remove();
                    }
                }
                Model m = Models.load(Storage.localModel(model, conf), 1, DataType.DOUBLE,
                        inputSize > 0 ? new int[] {inputSize, inputSize} : null);
                Tensor loss = null;
                long s = seed;
                for (Tensor o : m.outputs().values()) {
                    INDArray r = GradientCheck.uniform(DataType.DOUBLE, s++, -1, 1, o.shape());
                    Tensor term = Ops.reduceSum(Ops.mul(o, m.graph().constant(r)));
                    loss = loss == null ? term : Ops.add(loss, term);
                }
                l = new Loaded(model, m, loss);
                LOADED.put(model, l);
            }
            l.users++;
            return l;
        }
    }

    private static void release(Loaded l) {
        synchronized (LOADED) {
            l.users--;
        }
    }

    static Checker.Verdict run(String model, String image, String param, int directions, long seed, int inputSize, Configuration conf) {
        long t0 = System.nanoTime();
        String name = image.substring(image.lastIndexOf('/') + 1);
        String id = "model-" + name + "-" + param;
        Loaded l = null;
        try {
            l = borrow(model, seed, inputSize, conf);
            int size = (int) l.model.input().size(1);
            ImagePrep.Result img = ImagePrep.read(image, size, ImagePrep.Limits.DEFAULT, conf);
            if (!img.ok()) throw new IllegalStateException(image + ": " + img.reason());
            INDArray x = Nd4j.create(img.pixels(), new long[] {1, size, size, 3}, 'c').castTo(DataType.DOUBLE);
            Tensor p = l.model.layer(param);
            // eps 1e-8, not 1e-6: a whole CNN has ~10^6 ReLU and max-pool kinks, and a step of 1e-6 along a
            // random direction moves enough of them across zero to bend the central difference by ~1e-3
            // (seen on gear's first layer); in float64 a 1e-8 step still leaves ~1e-8 of rounding.
            GradientCheck.Options o = new GradientCheck.Options(1e-8, 1e-5, 1e-3, 0, directions, seed);
            GradientCheck.Prepared prepared;
            synchronized (LOADED) {
                prepared = GradientCheck.prepare(l.loss, List.of(p));
            }
            GradientCheck.Result res = GradientCheck.check(prepared, Map.of(l.model.input(), x), o);
            double abs = Math.abs(res.analytic() - res.numeric());
            return new Checker.Verdict(id, "model " + shortName(param), name + ", " + p.length() + " weights " + java.util.Arrays.toString(p.shape()),
                    "first", res.passed() ? "pass" : "fail", abs, abs / Math.max(Math.abs(res.numeric()), 1e-12), res.worstRatio(),
                    res.compared(), res.mode(), res.report(), (System.nanoTime() - t0) / 1e6);
        } catch (RuntimeException | IOException e) {
            return new Checker.Verdict(id, "model " + shortName(param), name, "first", "error", Double.NaN, Double.NaN, Double.NaN, 0, "",
                    e.toString(), (System.nanoTime() - t0) / 1e6);
        } finally {
            if (l != null) release(l);
            Graph.releaseWorkspace();      // a float64 whole-model run's arrays (gigabytes for vgg11_bn), not kept for other work
        }
    }

    static String shortName(String node) {
        String[] p = node.split("/");
        return p.length >= 3 ? p[p.length - 3] + "/" + p[p.length - 2] : node;
    }
}
