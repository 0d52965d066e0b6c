package io.finetune4j.runner.plugin;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import java.util.Optional;

/** A method provider whose every call, and every call into the method it creates, runs in its bundle. */
final class BundleMethodProvider<C extends Record> implements MethodProvider<C> {
    private final MethodProvider<C> delegate;
    private final Bundle bundle;
    private final String id;
    private final String version;

    BundleMethodProvider(MethodProvider<C> delegate, Bundle bundle, String id, String version) {
        this.delegate = requireNonNull(delegate, "delegate is null");
        this.bundle = requireNonNull(bundle, "bundle is null");
        this.id = requireNonNull(id, "id is null");
        this.version = requireNonNull(version, "version is null");
    }

    @Override public String id() { return id; }

    @Override public String version() { return version; }

    @Override public String description() { return bundle.call(delegate::description); }

    @Override public Class<C> configType() { return bundle.call(delegate::configType); }

    @Override public C defaults() { return bundle.call(delegate::defaults); }

    @Override
    public void validate(C config, ConfigProblems problems) {
        bundle.run(() -> delegate.validate(config, problems));
    }

    @Override
    public Method create(C config, MethodContext context) {
        return new BundleMethod(bundle.call(() -> delegate.create(config, context)), bundle);
    }

    @Override public Optional<String> peftType() { return bundle.call(delegate::peftType); }

    @Override
    public String toString() {
        return delegate.getClass().getName() + " from " + bundle.name();
    }
}
