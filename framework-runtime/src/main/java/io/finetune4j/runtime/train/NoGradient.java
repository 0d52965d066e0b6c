package io.finetune4j.runtime.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.finetune4j.api.Stable;
import java.util.function.Supplier;

/**
 * Runs code with autograd recording switched off, as {@code torch.no_grad()} does, even inside the
 * trainer's gradient collector: rollouts generated inside an objective's step (PPO, GRPO) then build no
 * graph and keep no activations. Recording is restored afterwards, also when {@code body} throws.
 */
@Stable
public final class NoGradient {
    private NoGradient() {}

    public static <T> T call(Supplier<T> body) {
        if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
            return body.get();
        }
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    public static void run(Runnable body) {
        call(() -> {
            body.run();
            return null;
        });
    }
}
