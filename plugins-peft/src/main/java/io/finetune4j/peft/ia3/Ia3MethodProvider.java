package io.finetune4j.peft.ia3;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import java.util.List;
import java.util.Optional;

/** Creates the {@code ia3} method: learned rescaling vectors on linear layers, as Hugging Face PEFT. */
public final class Ia3MethodProvider implements MethodProvider<Ia3Config> {
    @Override public String id() { return "ia3"; }

    @Override public String description() { return "(IA)3: learned vectors rescaling linear layers (PEFT-compatible)"; }

    /**
     * Both lists empty: PEFT's {@code target_modules=None}, resolved when the method is created from the model's
     * {@code model_type} ({@link Ia3Config#forModelType}).
     */
    @Override
    public Ia3Config defaults() {
        return new Ia3Config(List.of(), List.of());
    }

    @Override
    public void validate(Ia3Config config, ConfigProblems problems) {
        List<String> targets = config.targetModules();
        if (targets.isEmpty()) {
            problems.check(config.feedforwardModules().isEmpty(), "feedforward_modules",
                    "must be empty when target_modules is (both then come from PEFT's table for the model), was %s",
                    config.feedforwardModules());
        } else {
            for (int i = 0; i < targets.size(); i++) {
                String target = targets.get(i);
                problems.check(target != null && !target.isBlank(), "target_modules[" + i + "]", "must not be empty");
            }
            List<String> feedforward = config.feedforwardModules();
            for (int i = 0; i < feedforward.size(); i++) {
                String module = feedforward.get(i);
                // PEFT: "feedforward_modules should be a subset of target_modules"
                problems.check(module != null && targets.contains(module), "feedforward_modules[" + i + "]",
                        "'%s' is not in target_modules %s", module, targets);
            }
        }
    }

    @Override
    public Method create(Ia3Config config, MethodContext context) {
        return new Ia3Method(config.forModelType(context.model().config().modelType()), context.model());
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(Ia3Method.PEFT_TYPE);
    }
}
