package io.finetune4j.runtime.model;

import static io.finetune4j.runtime.model.TestModels.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.HookPoint;
import io.finetune4j.api.model.Linear;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Block hooks, the adapter switch and linear-layer replacement. */
class HooksAndSlotsTest {
    private static final long[] IDS = {3, 17, 5, 9, 30};

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void hooksThatZeroEverySubLayerLeaveOnlyTheEmbeddings(String kind) {
        try (CausalLM model = TestModels.named(kind, 21)) {
            List<Shape> seen = new ArrayList<>();
            for (int layer = 0; layer < model.config().numHiddenLayers(); layer++) {
                for (HookPoint point : HookPoint.values()) {
                    model.addHook(layer, point, (hidden, training) -> {
                        seen.add(hidden.getShape());
                        return hidden.mul(hidden.getManager().create(0f));
                    });
                }
            }
            float[][] hooked = TestModels.logits(model, IDS);
            assertThat(seen).hasSize(4).containsOnly(new Shape(1, IDS.length, model.config().hiddenSize()));
            assertThat(maxDiff(ReferenceModel.of(model).skippingSublayers().logits(IDS), hooked)).isLessThan(1e-4);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void disabledAdaptersSkipHooksUntilTheScopeCloses(String kind) {
        try (CausalLM model = TestModels.named(kind, 22)) {
            float[][] plain = TestModels.logits(model, IDS);
            model.addHook(1, HookPoint.AFTER_MLP, (hidden, training) -> hidden.mul(hidden.getManager().create(3f)));
            float[][] hooked = TestModels.logits(model, IDS);
            assertThat(maxDiff(plain, hooked)).isGreaterThan(1e-3);
            try (AdapterScope scope = model.disableAdapters()) {
                assertThat(model.adaptersEnabled()).isFalse();
                try (AdapterScope nested = model.disableAdapters()) {
                    assertThat(model.adaptersEnabled()).isFalse();
                }
                assertThat(model.adaptersEnabled()).isFalse();
                assertThat(maxDiff(plain, TestModels.logits(model, IDS))).isZero();
            }
            assertThat(model.adaptersEnabled()).isTrue();
            assertThat(maxDiff(hooked, TestModels.logits(model, IDS))).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void forwardCallsTheLayerInTheSlotWithTheTrainingFlag(String kind) {
        try (CausalLM model = TestModels.named(kind, 23); NDManager step = ForwardSemanticsTest.newManager(model)) {
            float[][] plain = TestModels.logits(model, IDS);
            String name = model.linears().keySet().iterator().next();
            RecordingLinear wrapper = new RecordingLinear(model.linears().get(name));
            model.replaceLinear(name, wrapper);
            assertThat(model.linears().get(name)).isSameAs(wrapper);
            assertThat(maxDiff(plain, TestModels.logits(model, IDS))).isZero();
            model.forward(ForwardInput.of(ForwardSemanticsTest.ids(step, IDS)).withTraining(true));
            assertThat(wrapper.flags).containsExactly(false, true);
            // parameters() reads the wrapped base, so a wrapper does not change what gets saved
            assertThat(model.parameters().get(name + ".weight")).isSameAs(wrapper.base().weight());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void aReplacementLayerIsWhatParametersAndTheForwardUse(String kind) {
        try (CausalLM model = TestModels.named(kind, 24); NDManager weights = ForwardSemanticsTest.newManager(model)) {
            String name = new ArrayList<>(model.linears().keySet()).get(1);
            Linear old = model.linears().get(name);
            NDArray halved = old.weight().mul(weights.create(0.5f));
            halved.attach(weights);
            NDArray bias = old.bias().map(b -> {
                NDArray copy = b.duplicate();
                copy.attach(weights);
                return copy;
            }).orElse(null);
            model.replaceLinear(name, new DenseLinear(name, halved, bias, old.transposed()));
            assertThat(model.parameters().get(name + ".weight")).isSameAs(halved);
            // The reference reads parameters(), so it sees the merged layer too.
            assertThat(maxDiff(ReferenceModel.of(model).logits(IDS), TestModels.logits(model, IDS))).isLessThan(1e-4);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void replacementsMustKeepNameAndShape(String kind) {
        try (CausalLM model = TestModels.named(kind, 25)) {
            Linear q = model.linears().get("model.layers.0.self_attn.q_proj");
            Linear k = model.linears().get("model.layers.0.self_attn.k_proj");
            assertThatThrownBy(() -> model.replaceLinear("model.layers.0.self_attn.q_proj", k))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16 -> 8");
            assertThatThrownBy(() -> model.replaceLinear("model.layers.9.self_attn.q_proj", q))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no linear layer named");
            assertThatThrownBy(() -> model.addHook(2, HookPoint.AFTER_MLP, (h, t) -> h))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2"})
    void aMergedConv1dLayerMustKeepTheTransposedLayout(String kind) {
        try (CausalLM model = TestModels.named(kind, 26)) {
            String name = "transformer.h.0.attn.c_proj"; // square, so only the layout flag differs
            Linear old = model.linears().get(name);
            assertThatThrownBy(() -> model.replaceLinear(name, new DenseLinear(name, old.weight(), null, false)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[in, out], transposed");
        }
    }

    /** Delegates to its base and remembers every training flag it was called with. */
    private static final class RecordingLinear implements Linear {
        private final Linear base;
        private final List<Boolean> flags = new ArrayList<>();

        RecordingLinear(Linear base) {
            this.base = base;
        }

        @Override public String name() { return base.name(); }
        @Override public int inFeatures() { return base.inFeatures(); }
        @Override public int outFeatures() { return base.outFeatures(); }
        @Override public NDArray weight() { return base.weight(); }
        @Override public Optional<NDArray> bias() { return base.bias(); }
        @Override public boolean transposed() { return base.transposed(); }
        @Override public Linear base() { return base; }

        @Override
        public NDArray forward(NDArray x, boolean training) {
            flags.add(training);
            return base.forward(x, training);
        }
    }
}
