package io.finetune4j.peft.bottleneck;

/**
 * Settings of the {@code bottleneck} method: sequential bottleneck adapters (Houlsby et al., "Parameter-Efficient
 * Transfer Learning for NLP", 2019; Pfeiffer et al., "AdapterFusion", 2021), named as AdapterHub's
 * {@code BnConfig} ({@code reduction_factor}, {@code non_linearity}).
 *
 * @param placement {@code houlsby}: an adapter after the attention and after the MLP sub-layer of every block;
 *     {@code pfeiffer}: after the MLP sub-layer only
 * @param reductionFactor bottleneck width is {@code hidden_size / reduction_factor} (at least 1)
 * @param bottleneckSize explicit bottleneck width; {@code 0} derives it from {@code reduction_factor}
 * @param nonLinearity {@code relu}, {@code gelu} (erf), {@code silu} or {@code swish} (the same function, AdapterHub's
 *     name); empty takes the placement's AdapterHub default: {@code relu} for {@code pfeiffer} ({@code SeqBnConfig}),
 *     {@code swish} for {@code houlsby} ({@code DoubleSeqBnConfig})
 */
public record BottleneckConfig(String placement, int reductionFactor, int bottleneckSize, String nonLinearity) {
    /** The non-linearity in use: {@link #nonLinearity()}, or the placement's AdapterHub default when it is empty. */
    public String activation() {
        if (nonLinearity != null && !nonLinearity.isEmpty()) {
            return nonLinearity;
        }
        return "houlsby".equals(placement) ? "swish" : "relu";
    }

    /** The bottleneck width for a model of {@code hiddenSize}. */
    public int width(int hiddenSize) {
        return bottleneckSize > 0 ? bottleneckSize : Math.max(1, hiddenSize / reductionFactor);
    }
}
