package io.finetune4j.peft.full;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.model.ModelFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FullMethodTest {
    record Context(CausalLM model, long seed) implements MethodContext {}

    private static CausalLM llama() {
        return ModelFactory.random(ModelFactory.llamaConfig(16, 8, 3, 2, 1, 16, 32), null, null, 1, Device.cpu());
    }

    private static Method full(CausalLM model, FullConfig config) {
        return new FullMethodProvider().create(config, new Context(model, 1));
    }

    @Test
    void trainsEveryParameterUnderItsHuggingFaceName() {
        try (CausalLM model = llama()) {
            Method method = full(model, new FullMethodProvider().defaults());

            assertThat(method.trainableParameters().keySet()).containsExactlyElementsOf(model.parameters().keySet());
            assertThat(method.trainableParameterCount()).isEqualTo(model.parameterCount());
            assertThat(model.parameters().values()).allMatch(NDArray::hasGradient);
            assertThat(method.isAdapter()).isFalse();
            assertThat(method.canMerge()).isFalse();
        }
    }

    @Test
    void trainsOnlyTheListedLayers() {
        try (CausalLM model = llama()) {
            Map<String, NDArray> trainable = full(model, new FullConfig(List.of(2), List.of())).trainableParameters();

            assertThat(trainable).isNotEmpty();
            assertThat(trainable.keySet()).allMatch(name -> name.startsWith("model.layers.2."));
            model.parameters().forEach((name, array) ->
                    assertThat(array.hasGradient()).as(name).isEqualTo(name.startsWith("model.layers.2.")));
        }
    }

    @Test
    void freezesParametersMatchingAPattern() {
        try (CausalLM model = llama()) {
            Map<String, NDArray> trainable =
                    full(model, new FullConfig(List.of(), List.of("embed_tokens", "\\.mlp\\."))).trainableParameters();

            assertThat(trainable.keySet()).noneMatch(name -> name.contains("embed_tokens") || name.contains(".mlp."))
                    .contains("model.layers.0.self_attn.q_proj.weight", "lm_head.weight", "model.norm.weight");
            assertThat(model.parameters().get("model.embed_tokens.weight").hasGradient()).isFalse();
        }
    }

    @Test
    void readsLayerIndicesOfBothFamilies() {
        assertThat(FullMethod.layerOf("model.layers.12.mlp.up_proj.weight")).hasValue(12);
        assertThat(FullMethod.layerOf("transformer.h.3.attn.c_attn.bias")).hasValue(3);
        assertThat(FullMethod.layerOf("transformer.wte.weight")).isEmpty();
        assertThat(FullMethod.layerOf("model.norm.weight")).isEmpty();
    }

    @Test
    void rejectsLayersTheModelDoesNotHave() {
        try (CausalLM model = llama()) {
            assertThatThrownBy(() -> full(model, new FullConfig(List.of(1, 5, 3), List.of())))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("trainable_layers: [3, 5] do not exist; the model has 3 layers (0-2)");
        }
    }

    @Test
    void rejectsAConfigThatTrainsNothing() {
        try (CausalLM model = llama()) {
            assertThatThrownBy(() -> full(model, new FullConfig(List.of(), List.of("."))))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("trainable_layers and freeze_patterns leave no parameter to train");
        }
    }
}
