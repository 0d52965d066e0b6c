package io.finetune4j.peft.full;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Creates the {@code full} method: the model's own weights train (all, some layers, or all but frozen ones). */
public final class FullMethodProvider implements MethodProvider<FullConfig> {
    @Override public String id() { return "full"; }

    @Override public String description() { return "Full or partial fine-tuning of the model's own weights"; }

    @Override public FullConfig defaults() { return new FullConfig(List.of(), List.of()); }

    @Override
    public void validate(FullConfig config, ConfigProblems problems) {
        List<Integer> layers = config.trainableLayers();
        for (int i = 0; i < layers.size(); i++) {
            problems.check(layers.get(i) >= 0, "trainable_layers[" + i + "]", "must be >= 0, was %d", layers.get(i));
        }
        List<String> patterns = config.freezePatterns();
        for (int i = 0; i < patterns.size(); i++) {
            try {
                Pattern.compile(patterns.get(i));
            } catch (PatternSyntaxException e) {
                problems.add("freeze_patterns[" + i + "]", "invalid regular expression '%s': %s at index %d",
                        patterns.get(i), e.getDescription(), e.getIndex());
            }
        }
    }

    @Override
    public Method create(FullConfig config, MethodContext context) {
        return new FullMethod(config, context.model());
    }
}
