package io.finetune4j.peft.glora;

import static io.finetune4j.peft.ia3.PeftFixtures.logits;
import static io.finetune4j.peft.ia3.PeftFixtures.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.model.CausalLM;
import io.finetune4j.peft.ia3.PeftFixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class GloraMethodTest {
    private static final List<String> TARGETS = List.of("q_proj", "v_proj", "down_proj", "c_attn", "c_fc");

    private static GloraMethod glora(CausalLM model, GloraConfig config) {
        return (GloraMethod) new GloraMethodProvider().create(config, new PeftFixtures.Context(model, 5));
    }

    private static GloraConfig config(String a, String b, String c, String d, String e) {
        return new GloraConfig(2, a, b, c, d, e, TARGETS);
    }

    @Test
    void startsAsTheBaseModel() {
        try (CausalLM model = PeftFixtures.gpt2(3)) {
            float[] base = logits(model);
            glora(model, new GloraMethodProvider().defaults());
            assertThat(logits(model)).containsExactly(base);
        }
    }

    /** GPT-2 (Conv1D weights, biases): every support type in every slot, merged equals unmerged. */
    @Test
    void mergedEqualsTheUnmergedForwardForEverySupportType() {
        List<GloraConfig> configs = List.of(
                config("lora", "lora", "lora", "vector", "vector"),
                config("vector", "vector", "vector", "scalar", "scalar"),
                config("scalar", "scalar", "scalar", "none", "vector"),
                config("none", "lora_3", "none", "vector", "none"),
                config("lora", "none", "scalar", "none", "none"));
        for (GloraConfig config : configs) {
            try (CausalLM model = PeftFixtures.gpt2(4)) {
                float[] base = logits(model);
                GloraMethod method = glora(model, config);
                PeftFixtures.randomize(method, 6, 0.0, 0.3);
                float[] adapted = logits(model);
                assertThat(method.canMerge()).isTrue();

                method.mergeAndUnload();

                assertThat(maxDiff(adapted, base)).as("%s changes the model", config).isGreaterThan(1e-3);
                assertThat(maxDiff(logits(model), adapted)).as("%s merged", config).isLessThan(1e-4);
                assertThat(model.linears().values()).noneMatch(GloraLinear.class::isInstance);
            }
        }
    }

    /** Llama has no biases: A and B merge into the weight; D is a no-op there. */
    @Test
    void mergesWeightSupportsIntoABiasFreeModel() {
        try (CausalLM model = PeftFixtures.llama(4)) {
            GloraMethod method = glora(model, config("lora", "vector", "none", "vector", "none"));
            PeftFixtures.randomize(method, 6, 0.0, 0.3);
            float[] adapted = logits(model);

            method.mergeAndUnload();

            assertThat(maxDiff(logits(model), adapted)).isLessThan(1e-4);
        }
    }

    @Test
    void refusesToMergeABiasShiftIntoALayerWithoutBias() {
        try (CausalLM model = PeftFixtures.llama(4)) {
            GloraMethod method = glora(model, config("lora", "lora", "lora", "vector", "vector"));

            assertThat(method.canMerge()).isFalse();
            assertThatThrownBy(method::mergeAndUnload).isInstanceOf(IllegalStateException.class)
                    .hasMessage("glora cannot merge: module model.layers.0.self_attn.q_proj has no bias to hold W0·C"
                            + " and E; set c: none and e: none to merge a model without biases (its adapter still"
                            + " saves and loads)");
        }
    }

    @Test
    void trainingLowersTheLossAndKeepsTheBase() {
        try (CausalLM model = PeftFixtures.gpt2(3)) {
            GloraMethod method = glora(model, new GloraMethodProvider().defaults());
            var before = PeftFixtures.snapshot(model.parameters());

            float[] losses = PeftFixtures.train(model, method, input -> input);

            assertThat(losses[1]).isLessThan(losses[0]);
            assertThat(PeftFixtures.snapshot(model.parameters())).allSatisfy((name, values) ->
                    assertThat(values).as(name).containsExactly(before.get(name)));
        }
    }
}
