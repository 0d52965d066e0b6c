package io.finetune4j.peft.lora;

import static io.finetune4j.peft.lora.TinyModels.IDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.ParameterGroup;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runtime.loss.LossMath;
import io.finetune4j.runtime.train.AdamW;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LoRA+ as PEFT v0.20's peft/optimizers/loraplus.py create_loraplus_optimizer: lora_B and 1-d parameters at
 * lr * loraplus_lr_ratio, the rest at lr; loraplus_weight_decay for all but the "bias" names of the B group.
 */
class LoraPlusTest {
    private static LoraConfig loraPlus(double ratio, String bias) {
        LoraConfig c = new LoraOptions().build();
        return new LoraConfig(c.r(), c.loraAlpha(), c.loraDropout(), c.targetModules(), c.excludeModules(), bias,
                c.useRslora(), c.initLoraWeights(), c.rankPattern(), c.alphaPattern(), c.layersToTransform(),
                c.layersPattern(), c.modulesToSave(), c.useDora(), Map.of(), ratio, 1e-6, 0.01);
    }

    @Test
    void groupsFollowPeft() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraMethod method = (LoraMethod) new LoraMethodProvider().create(loraPlus(16, "lora_only"),
                    new TinyModels.Context(model, 1));
            ParameterGroup stage = new ParameterGroup(1e-3, 0.5);
            int a = 0;
            int b = 0;
            for (String name : method.trainableParameters().keySet()) {
                ParameterGroup group = method.parameterGroup(name, stage);
                if (name.endsWith("lora_B.weight")) {
                    assertThat(group).as(name).isEqualTo(new ParameterGroup(1.6e-2, 0.01));
                    b++;
                } else if (name.endsWith(".bias")) {
                    assertThat(group).as(name).isEqualTo(new ParameterGroup(1.6e-2, 0.0));
                } else {
                    assertThat(group).as(name).isEqualTo(new ParameterGroup(1e-3, 0.01));
                    a++;
                }
            }
            assertThat(a).isPositive().isEqualTo(b);
        }
    }

    @Test
    void withoutRatioTheStageSettingsApply() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraMethod method = new LoraOptions().create(model, 1);
            ParameterGroup stage = new ParameterGroup(1e-3, 0.5);
            method.trainableParameters().keySet()
                    .forEach(name -> assertThat(method.parameterGroup(name, stage)).isEqualTo(stage));
        }
    }

    /**
     * AdamW's first step from zero moments moves each entry by lr·g/(|g| + eps) ≈ lr·sign(g): with ratio 4 every
     * B entry moves 4 times as far as every A entry.
     */
    @Test
    void firstAdamWStepMovesBRatioTimesFurtherThanA() {
        try (CausalLM model = TinyModels.llama(3)) {
            LoraMethod method = (LoraMethod) new LoraMethodProvider().create(loraPlus(4, "none"),
                    new TinyModels.Context(model, 1));
            LoraOptions.randomize(method, 5); // B != 0, so A gets a gradient too
            Map<String, NDArray> trainable = method.trainableParameters();
            List<NDArray> parameters = new ArrayList<>(trainable.values());
            double lr = 1e-3;
            double[] factors = new double[parameters.size()];
            double[] decays = new double[parameters.size()];
            int i = 0;
            for (String name : trainable.keySet()) {
                ParameterGroup group = method.parameterGroup(name, new ParameterGroup(lr, 0.0));
                factors[i] = group.learningRate() / lr;
                decays[i++] = 0.0; // isolate the learning rates
            }
            Map<String, float[]> before = new java.util.LinkedHashMap<>();
            trainable.forEach((name, array) -> before.put(name, array.toFloatArray()));
            try (NDManager state = model.manager().newSubManager(); NDManager scope = model.manager().newSubManager()) {
                AdamW adam = new AdamW(parameters, factors, decays, 0.9, 0.999, 1e-12, state);
                NDArray ids = scope.create(IDS, new Shape(2, 6));
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(ForwardInput.of(ids).withTraining(true)
                            .withLogits(ForwardInput.Logits.ALL_BUT_LAST)).logits();
                    collector.backward(LossMath.maskedMeanCrossEntropy(logits, ids.get(":, 1:"), scope.ones(new Shape(2, 5))));
                }
                adam.step(parameters.stream().map(NDArray::getGradient).toList(), lr, 1.0);
            }
            trainable.forEach((name, array) -> {
                float[] after = array.toFloatArray();
                float[] start = before.get(name);
                double expected = name.contains("lora_B") ? 4 * lr : lr;
                for (int k = 0; k < after.length; k++) {
                    assertThat(Math.abs((double) after[k] - start[k])).as("%s[%d]", name, k)
                            .isCloseTo(expected, within(expected * 1e-2));
                }
            });
        }
    }

    @Test
    void rejectsANonPositiveRatio() {
        ConfigProblems problems = ConfigProblems.at("m");
        new LoraMethodProvider().validate(loraPlus(0, "none"), problems);
        assertThat(problems.messages()).containsExactly("m.loraplus_lr_ratio: must be > 0 (or null for no LoRA+), was 0.0");
    }
}
