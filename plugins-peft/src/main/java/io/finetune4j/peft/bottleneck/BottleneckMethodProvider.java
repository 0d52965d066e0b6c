package io.finetune4j.peft.bottleneck;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import java.util.List;

/**
 * Creates the {@code bottleneck} method: sequential bottleneck adapters after the attention and/or MLP
 * sub-layers. Not a PEFT format (no {@code peft_type}); saved in its own files, see {@link BottleneckMethod}.
 */
public final class BottleneckMethodProvider implements MethodProvider<BottleneckConfig> {
    static final List<String> PLACEMENTS = List.of("houlsby", "pfeiffer");
    static final List<String> NON_LINEARITIES = List.of("relu", "gelu", "silu", "swish");

    @Override public String id() { return "bottleneck"; }

    @Override public String description() { return "Bottleneck adapters (Houlsby / Pfeiffer placement)"; }

    /**
     * AdapterHub's {@code SeqBnConfig} (Pfeiffer placement, reduction factor 16); the empty non-linearity resolves
     * per placement ({@link BottleneckConfig#activation()}): ReLU for Pfeiffer, swish for Houlsby.
     */
    @Override
    public BottleneckConfig defaults() {
        return new BottleneckConfig("pfeiffer", 16, 0, "");
    }

    @Override
    public void validate(BottleneckConfig config, ConfigProblems problems) {
        problems.check(PLACEMENTS.contains(config.placement()), "placement", "must be one of %s, was '%s'",
                PLACEMENTS, config.placement());
        problems.check(config.reductionFactor() > 0, "reduction_factor", "must be > 0, was %d", config.reductionFactor());
        problems.check(config.bottleneckSize() >= 0, "bottleneck_size",
                "must be >= 0 (0 derives it from reduction_factor), was %d", config.bottleneckSize());
        problems.check(NON_LINEARITIES.contains(config.activation()), "non_linearity",
                "must be one of %s (or empty for the placement's default), was '%s'", NON_LINEARITIES,
                config.nonLinearity());
    }

    @Override
    public Method create(BottleneckConfig config, MethodContext context) {
        return new BottleneckMethod(config, context.model(), context.seed());
    }
}
