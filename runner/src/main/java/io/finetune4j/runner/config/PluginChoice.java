package io.finetune4j.runner.config;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.PluginProvider;

/**
 * A provider picked by id in the pipeline file, with its settings bound and validated.
 *
 * @param config the provider's settings record (its {@code configType()})
 */
public record PluginChoice<P extends PluginProvider<?>>(String id, P provider, Record config) {
    public PluginChoice {
        requireNonNull(id, "id is null");
        requireNonNull(provider, "provider is null");
        requireNonNull(config, "config is null");
    }
}
