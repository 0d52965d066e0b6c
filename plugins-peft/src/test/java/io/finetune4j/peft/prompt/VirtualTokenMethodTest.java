package io.finetune4j.peft.prompt;

import static io.finetune4j.peft.ia3.PeftFixtures.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.peft.ia3.PeftFixtures;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.loss.LossMath;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Both methods as their model's input transform: a plain {@code model.forward} runs the virtual tokens. */
class VirtualTokenMethodTest {
    /** Greedy decoding by a full forward over the whole sequence at every step: no cache involved. */
    private static long[] greedyWithoutCache(CausalLM model, long[] prompt, int steps) {
        long[] ids = prompt.clone();
        for (int i = 0; i < steps; i++) {
            try (NDManager step = model.manager().newSubManager()) {
                float[] last = model.forward(ForwardInput.of(step.create(ids, new Shape(1, ids.length)))
                        .withLogits(ForwardInput.Logits.LAST)).logits().toFloatArray();
                int best = 0;
                for (int v = 1; v < last.length; v++) {
                    best = last[v] > last[best] ? v : best;
                }
                ids = Arrays.copyOf(ids, ids.length + 1);
                ids[ids.length - 1] = best;
            }
        }
        return Arrays.copyOfRange(ids, prompt.length, ids.length);
    }

    @Test
    void forwardAndTrainingLeaveNothingInTheModelsManager() {
        for (boolean prefixTuning : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.gpt2(5)) {
                PeftFixtures.Context context = new PeftFixtures.Context(model, 2);
                VirtualTokenMethod method = prefixTuning
                        ? (VirtualTokenMethod) new PrefixTuningMethodProvider().create(new PrefixTuningConfig(3, true, 4), context)
                        : (VirtualTokenMethod) new PromptTuningMethodProvider().create(new PromptTuningConfig(3, "RANDOM", ""), context);
                PeftFixtures.logits(model);
                int before = model.manager().getManagedArrays().size();

                PeftFixtures.logits(model);
                PeftFixtures.train(model, method, input -> input);
                Generator.generate(model, new long[] {1, 2}, new GenerationConfig(3, 0, 0, 1, 0));

                assertThat(model.manager().getManagedArrays()).as(prefixTuning ? "prefix" : "prompt").hasSize(before);
            }
        }
    }

    @Test
    void generationWithTheCacheAddsTheVirtualTokensOnce() {
        long[] prompt = {1, 5, 9};
        GenerationConfig greedy = new GenerationConfig(6, 0, 0, 1, 0);
        for (boolean prefixTuning : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.llama(5)) {
                PeftFixtures.Context context = new PeftFixtures.Context(model, 2);
                VirtualTokenMethod method = prefixTuning
                        ? (VirtualTokenMethod) new PrefixTuningMethodProvider().create(new PrefixTuningConfig(3, false, 0), context)
                        : (VirtualTokenMethod) new PromptTuningMethodProvider().create(new PromptTuningConfig(3, "RANDOM", ""), context);
                long[] generated = Generator.generate(model, prompt, greedy).outputIds();

                assertThat(generated).as(prefixTuning ? "prefix" : "prompt")
                        .containsExactly(greedyWithoutCache(model, prompt, 6));
            }
        }
    }

    @Test
    void anInputAlreadyPreparedIsNotPreparedAgain() {
        for (boolean prefixTuning : new boolean[] {false, true}) {
            try (CausalLM model = PeftFixtures.llama(5)) {
                PeftFixtures.Context context = new PeftFixtures.Context(model, 2);
                VirtualTokenMethod method = prefixTuning
                        ? (VirtualTokenMethod) new PrefixTuningMethodProvider().create(new PrefixTuningConfig(3, false, 0), context)
                        : (VirtualTokenMethod) new PromptTuningMethodProvider().create(new PromptTuningConfig(3, "RANDOM", ""), context);
                float[] once = PeftFixtures.logits(model);

                float[] prepared = PeftFixtures.logits(model, method::prepare);
                float[] preparedTwice = PeftFixtures.logits(model, input -> method.prepare(method.prepare(input)));

                assertThat(prepared).as(prefixTuning ? "prefix" : "prompt").containsExactly(once);
                assertThat(preparedTwice).as(prefixTuning ? "prefix" : "prompt").containsExactly(once);
                try (AdapterScope off = model.disableAdapters()) {
                    assertThat(maxDiff(PeftFixtures.logits(model), once)).isGreaterThan(1e-3);
                }
            }
        }
    }

    /**
     * What a pipeline does: an objective that calls {@code model.forward} on plain inputs, as sft's does, with
     * no {@code prepare}. One backward of such a loss gives every trainable parameter a non-zero gradient;
     * the runtime's Trainer over such an objective (PeftFixtures.train's) changes each of them and leaves the
     * base bit-identical.
     */
    static void assertTrainsThroughThePlainModel(CausalLM model, VirtualTokenMethod method) {
        Map<String, byte[]> baseBefore = bytes(model.parameters());
        Map<String, byte[]> trainableBefore = bytes(method.trainableParameters());
        float[] baseLogits;
        try (AdapterScope off = model.disableAdapters()) {
            baseLogits = PeftFixtures.logits(model);
        }

        try (NDManager step = model.manager().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray ids = step.create(PeftFixtures.IDS, new Shape(2, 6));
            NDArray logits = model.forward(ForwardInput.of(ids).withTraining(true)
                    .withLogits(ForwardInput.Logits.ALL_BUT_LAST)).logits();
            collector.backward(LossMath.maskedMeanCrossEntropy(logits, ids.get(":, 1:"), step.ones(new Shape(2, 5))));
            method.trainableParameters().forEach((name, array) -> {
                try (NDArray gradient = array.getGradient()) {
                    float[] values = gradient.toFloatArray();
                    assertThat(IntStream.range(0, values.length).anyMatch(i -> values[i] != 0 && Float.isFinite(values[i])))
                            .as(name + " has a non-zero gradient").isTrue();
                }
            });
        }
        float[] losses = PeftFixtures.train(model, method, input -> input);

        assertThat(losses[1]).isLessThan(losses[0]);
        method.trainableParameters().forEach((name, array) ->
                assertThat(array.toByteArray()).as(name).isNotEqualTo(trainableBefore.get(name)));
        assertThat(model.parameters().values()).noneMatch(NDArray::hasGradient);
        bytes(model.parameters()).forEach((name, values) ->
                assertThat(values).as(name).isEqualTo(baseBefore.get(name)));
        try (AdapterScope off = model.disableAdapters()) {
            assertThat(PeftFixtures.logits(model)).containsExactly(baseLogits);
        }
    }

    private static Map<String, byte[]> bytes(Map<String, NDArray> parameters) {
        Map<String, byte[]> values = new LinkedHashMap<>();
        parameters.forEach((name, array) -> values.put(name, array.toByteArray()));
        return values;
    }
}
