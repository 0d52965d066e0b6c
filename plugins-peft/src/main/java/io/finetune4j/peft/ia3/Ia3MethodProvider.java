package io.finetune4j.peft.ia3;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.runtime.model.family.ModelFamilies;
import io.finetune4j.runtime.model.family.PeftTargets;
import java.util.List;
import java.util.Optional;

/** Creates the {@code ia3} method: learned rescaling vectors on linear layers, as Hugging Face PEFT. */
public final class Ia3MethodProvider implements MethodProvider<Ia3Config> {
    @Override public String id() { return "ia3"; }

    @Override public String description() { return "(IA)3: learned vectors rescaling linear layers (PEFT-compatible)"; }

    @Override
    public Ia3Config defaults() {
        PeftTargets defaults = ModelFamilies.peftDefaults();
        return new Ia3Config(defaults.ia3(), defaults.ia3FeedForward());
    }

    @Override
    public void validate(Ia3Config config, ConfigProblems problems) {
        List<String> targets = config.targetModules();
        if (problems.check(!targets.isEmpty(), "target_modules", "must name at least one module")) {
            for (int i = 0; i < targets.size(); i++) {
                String target = targets.get(i);
                problems.check(target != null && !target.isBlank(), "target_modules[" + i + "]", "must not be empty");
            }
        }
        List<String> feedforward = config.feedforwardModules();
        for (int i = 0; i < feedforward.size(); i++) {
            String module = feedforward.get(i);
            // PEFT: "feedforward_modules should be a subset of target_modules"
            problems.check(module != null && targets.contains(module), "feedforward_modules[" + i + "]",
                    "'%s' is not in target_modules %s", module, targets);
        }
    }

    @Override
    public Method create(Ia3Config config, MethodContext context) {
        return new Ia3Method(config, context.model());
    }

    @Override
    public Optional<String> peftType() {
        return Optional.of(Ia3Method.PEFT_TYPE);
    }
}
