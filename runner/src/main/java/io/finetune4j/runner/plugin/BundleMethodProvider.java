package io.finetune4j.runner.plugin;

import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import java.util.Optional;

/** A method provider whose every call, and every call into the method it creates, runs in its bundle. */
final class BundleMethodProvider<C extends Record> extends BundleProvider<C, MethodProvider<C>>
        implements MethodProvider<C> {
    BundleMethodProvider(MethodProvider<C> delegate, Bundle bundle, String id, String version) {
        super(delegate, bundle, id, version);
    }

    @Override
    public Method create(C config, MethodContext context) {
        return new BundleMethod(bundle.call(() -> delegate.create(config, context)), bundle);
    }

    @Override public Optional<String> peftType() { return bundle.call(delegate::peftType); }
}
