package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.model.CausalLM;
import java.util.ArrayList;
import java.util.List;

/** A loaded model and whatever else must be closed with it (a tokenizer the model does not own). */
public final class ModelHandle implements AutoCloseable {
    private final CausalLM model;
    private final List<AutoCloseable> alsoClose;

    ModelHandle(CausalLM model, List<AutoCloseable> alsoClose) {
        this.model = requireNonNull(model, "model is null");
        this.alsoClose = new ArrayList<>(alsoClose);
    }

    public CausalLM model() {
        return model;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            model.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (AutoCloseable resource : alsoClose) {
            try {
                resource.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("cannot close " + resource, e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
