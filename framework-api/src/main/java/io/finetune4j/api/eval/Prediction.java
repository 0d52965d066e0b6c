package io.finetune4j.api.eval;

import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Source;
import java.util.List;

/**
 * A model output and the reference answer(s) it is judged against, from a generation run or a file of
 * outputs made elsewhere ({@code {"prediction": ..., "reference": ...}} rows).
 */
@Stable
public record Prediction(String prediction, List<String> references, Source source) {
    public Prediction {
        references = List.copyOf(references);
    }
}
