package io.finetune4j.runner.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.api.objective.ObjectiveStep;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The bundle wrappers must forward every SPI method, default ones included: a default that is not
 * overridden silently drops the plugin's behaviour (a reward head that never trains).
 */
class BundleWrappersTest {
    private static final Bundle BUNDLE = new Bundle("test", BundleWrappersTest.class.getClassLoader());

    record NoConfig() {}

    @Test
    void objectiveWrapperForwardsEveryMethod() {
        ObjectiveProvider<NoConfig> provider = new ObjectiveProvider<>() {
            @Override public String id() { return "x"; }
            @Override public NoConfig defaults() { return new NoConfig(); }

            @Override
            public Objective create(NoConfig config, ObjectiveContext context) {
                return new Objective() {
                    @Override public int exampleCount() { return 0; }
                    @Override public ObjectiveStep compute(List<Integer> indices, NDManager step) { return null; }
                };
            }
        };
        Objective wrapped = new BundleObjectiveProvider<>(provider, BUNDLE, "x", "1").create(new NoConfig(), null);

        assertThat(missingOverrides(Objective.class, wrapped.getClass())).isEmpty();
    }

    @Test
    void evaluatorWrapperForwardsEveryMethod() {
        EvaluatorProvider<NoConfig> provider = new EvaluatorProvider<>() {
            @Override public String id() { return "x"; }
            @Override public NoConfig defaults() { return new NoConfig(); }

            @Override
            public Evaluator create(NoConfig config) {
                return new Evaluator() {
                    @Override public List<Metric> evaluate(EvalContext context) { return List.of(); }
                };
            }
        };
        Evaluator wrapped = new BundleEvaluatorProvider<>(provider, BUNDLE, "x", "1").create(new NoConfig());

        assertThat(missingOverrides(Evaluator.class, wrapped.getClass())).isEmpty();
    }

    @Test
    void methodWrapperForwardsEveryMethod() {
        assertThat(missingOverrides(Method.class, BundleMethod.class)).isEmpty();
    }

    private static List<String> missingOverrides(Class<?> spi, Class<?> wrapper) {
        return Arrays.stream(spi.getMethods())
                .filter(method -> !Modifier.isStatic(method.getModifiers()))
                .filter(method -> {
                    try {
                        wrapper.getDeclaredMethod(method.getName(), method.getParameterTypes());
                        return false;
                    } catch (NoSuchMethodException e) {
                        return true;
                    }
                })
                .map(method -> method.getName() + Arrays.toString(method.getParameterTypes()))
                .sorted()
                .toList();
    }

}
