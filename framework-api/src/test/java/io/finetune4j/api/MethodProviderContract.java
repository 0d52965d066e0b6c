package io.finetune4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.model.CausalLM;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract tests every {@link MethodProvider} passes: implement it in the provider's test and return a
 * fresh provider from {@link #provider()}. Return a context over a fresh tiny model from
 * {@link #tinyModel()} to run the model tests too (the API cannot build models itself).
 */
public interface MethodProviderContract<C extends Record> extends PluginProviderContract<C> {
    @Override
    MethodProvider<C> provider();

    @Override
    default Class<?> serviceType() {
        return MethodProvider.class;
    }

    /**
     * A context over a new tiny model each call (the test closes the model), on which {@link #provider()}'s
     * defaults can be created; empty skips the model tests.
     */
    default Optional<MethodContext> tinyModel() {
        return Optional.empty();
    }

    @Test
    default void trainsOnlyItsOwnParameters() {
        Optional<MethodContext> context = tinyModel();
        assumeTrue(context.isPresent(), "no tiny model supplied");
        try (CausalLM model = context.get().model()) {
            Method method = provider().create(provider().defaults(), context.get());

            assertThat(method.trainableParameters()).isNotEmpty();
            assertThat(method.trainableParameters().values()).allMatch(NDArray::hasGradient);
            assertThat(method.trainableParameterCount())
                    .isEqualTo(method.trainableParameters().values().stream().mapToLong(NDArray::size).sum());
            if (method.isAdapter()) {
                assertThat(model.parameters().values()).as("base parameters of an adapter method")
                        .noneMatch(NDArray::hasGradient);
            }
        }
    }

    @Test
    default void adapterSurvivesSaveAndLoad(@TempDir Path dir) {
        Optional<MethodContext> first = tinyModel();
        assumeTrue(first.isPresent(), "no tiny model supplied");
        Map<String, float[]> saved = new LinkedHashMap<>();
        try (CausalLM model = first.get().model()) {
            Method method = provider().create(provider().defaults(), first.get());
            assumeTrue(method.isAdapter(), "not an adapter method");
            Random random = new Random(1);
            method.trainableParameters().forEach((name, array) -> {
                float[] values = new float[Math.toIntExact(array.size())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextGaussian();
                }
                array.set(values);
                saved.put(name, values);
            });
            method.saveAdapter(dir, "tiny");
        }
        MethodContext second = tinyModel().orElseThrow();
        try (CausalLM model = second.model()) {
            Method method = provider().create(provider().defaults(), second);

            method.loadAdapter(dir);

            assertThat(method.trainableParameters().keySet()).containsExactlyElementsOf(saved.keySet());
            method.trainableParameters().forEach((name, array) ->
                    assertThat(array.toFloatArray()).as(name).containsExactly(saved.get(name)));
        }
    }
}
