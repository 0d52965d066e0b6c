package io.finetune4j.runner.plugin;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.PluginLoadException;
import io.finetune4j.runtime.service.PluginSurface;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;

/**
 * The class loader of one plugin bundle. Its parent is the platform loader, so a bundle sees only its
 * own jars plus what is shared from the runner: the API, the runtime's plugin surface (classes marked
 * {@code @Stable} or {@code @Experimental}, see {@link PluginSurface}), DJL (the PyTorch native library can
 * be loaded by only one class loader per JVM) and SLF4J. Using any other runtime class fails with a
 * {@link PluginLoadException} naming it.
 */
final class BundleClassLoader extends URLClassLoader {
    static final List<String> SHARED_PACKAGES =
            List.of("io.finetune4j.api.", PluginSurface.RUNTIME_PACKAGE, "ai.djl.", "org.slf4j.");

    static {
        ClassLoader.registerAsParallelCapable();
    }

    private final ClassLoader runnerLoader;

    BundleClassLoader(String bundleName, URL[] jars, ClassLoader runnerLoader) {
        super(bundleName, jars, ClassLoader.getPlatformClassLoader());
        this.runnerLoader = requireNonNull(runnerLoader, "runnerLoader is null");
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!isShared(name)) {
            return super.loadClass(name, resolve);
        }
        Class<?> shared = runnerLoader.loadClass(name);
        if (name.startsWith(PluginSurface.RUNTIME_PACKAGE) && !PluginSurface.includes(shared)) {
            throw new PluginLoadException(String.format("bundle %s uses %s, which is not part of the runtime's"
                    + " plugin surface; plugins may use only runtime classes marked @Stable or @Experimental",
                    getName(), name));
        }
        return shared;
    }

    static boolean isShared(String className) {
        for (String prefix : SHARED_PACKAGES) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "BundleClassLoader[" + getName() + "]";
    }
}
