package io.finetune4j.api.model;

import io.finetune4j.api.Stable;

/** Restores adapters on close; see {@link CausalLM#disableAdapters()}. */
@Stable
public interface AdapterScope extends AutoCloseable {
    @Override
    void close();
}
