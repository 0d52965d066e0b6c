package io.finetune4j.peft.full;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import ai.djl.Device;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.runtime.model.ModelFactory;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FullMethodProviderTest implements MethodProviderContract<FullConfig> {
    @Override
    public FullMethodProvider provider() {
        return new FullMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new FullMethodTest.Context(
                ModelFactory.random(ModelFactory.llamaConfig(16, 8, 1, 2, 1, 16, 32), null, null, 1, Device.cpu()), 1));
    }

    private static List<String> problems(FullConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new FullMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsTrainEverything() {
        assertThat(provider().defaults()).isEqualTo(new FullConfig(List.of(), List.of()));
        assertThat(provider().peftType()).isEmpty();
    }

    @Test
    void rejectsNegativeLayerIndices() {
        assertThat(problems(new FullConfig(List.of(0, -1), List.of())))
                .containsExactly("stages[0].method.trainable_layers[1]: must be >= 0, was -1");
    }

    @Test
    void rejectsAPatternThatDoesNotCompileNamingIt() {
        assertThat(problems(new FullConfig(List.of(), List.of("embed", "mlp.(gate"))))
                .containsExactly("stages[0].method.freeze_patterns[1]: invalid regular expression 'mlp.(gate':"
                        + " Unclosed group at index 9");
    }
}
