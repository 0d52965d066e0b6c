package io.finetune4j.runner.plugin;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.PluginProvider;

/**
 * What the provider wrappers share: every call into the plugin's provider runs with its bundle's
 * class loader; id and version are read once at load time.
 */
abstract class BundleProvider<C extends Record, P extends PluginProvider<C>> implements PluginProvider<C> {
    protected final P delegate;
    protected final Bundle bundle;
    private final String id;
    private final String version;

    BundleProvider(P delegate, Bundle bundle, String id, String version) {
        this.delegate = requireNonNull(delegate, "delegate is null");
        this.bundle = requireNonNull(bundle, "bundle is null");
        this.id = requireNonNull(id, "id is null");
        this.version = requireNonNull(version, "version is null");
    }

    @Override public final String id() { return id; }

    @Override public final String version() { return version; }

    @Override public final String description() { return bundle.call(delegate::description); }

    @Override public final Class<C> configType() { return bundle.call(delegate::configType); }

    @Override public final C defaults() { return bundle.call(delegate::defaults); }

    @Override
    public final void validate(C config, ConfigProblems problems) {
        bundle.run(() -> delegate.validate(config, problems));
    }

    @Override
    public final String toString() {
        return delegate.getClass().getName() + " from " + bundle.name();
    }
}
