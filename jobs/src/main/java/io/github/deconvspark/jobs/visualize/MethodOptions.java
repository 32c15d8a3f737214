package io.github.deconvspark.jobs.visualize;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.models.viz.Attributions;
import io.github.deconvspark.models.viz.Explainer;
import io.github.deconvspark.models.viz.Explainer.Method;
import java.util.ArrayList;
import java.util.List;

/** The visualize job's --method list and the methods' options, from the configuration. */
public final class MethodOptions {
    private MethodOptions() {}

    /** --method: known names, each once. */
    public static List<Method> methods(JobConfig c) {
        List<Method> out = new ArrayList<>();
        for (String name : c.list("method")) {
            Method m;
            try {
                m = Method.of(name.trim());
            } catch (IllegalArgumentException e) {
                throw new JobConfig.ConfigException("visualize: --method must be one of " + Method.NAMES + " (comma-separated), got '"
                        + io.github.deconvspark.jobs.inputs.Messages.clip(name, 80) + "'");
            }
            if (out.contains(m)) throw new JobConfig.ConfigException("visualize: --method names " + m + " twice");
            out.add(m);
        }
        if (out.isEmpty()) throw new JobConfig.ConfigException("visualize: --method is empty; use one or more of " + Method.NAMES);
        return out;
    }

    /** The methods' options (ranges checked by the keys; against the model by the plan). */
    public static Explainer.Options options(JobConfig c) {
        Attributions.Base base = switch (c.choice("smooth-base")) {
            case "gradxinput" -> Attributions.Base.GRADIENT_X_INPUT;
            case "ig" -> Attributions.Base.INTEGRATED_GRADIENTS;
            default -> Attributions.Base.GRADIENT;
        };
        return new Explainer.Options(null, c.getInt("steps"), Attributions.Riemann.valueOf(c.choice("riemann").toUpperCase(java.util.Locale.ROOT)),
                Explainer.Baseline.valueOf(c.choice("baseline").toUpperCase(java.util.Locale.ROOT)), null, c.getDouble("blur-sigma"),
                c.getInt("samples"), c.getDouble("sigma"), base, c.getLong("seed"), c.getInt("window"), c.getInt("stride"),
                c.getDouble("occlusion-value"));
    }

}
