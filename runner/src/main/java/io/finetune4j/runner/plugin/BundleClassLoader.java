package io.finetune4j.runner.plugin;

import static java.util.Objects.requireNonNull;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;

/**
 * The class loader of one plugin bundle. Its parent is the platform loader, so a bundle sees only its
 * own jars plus an allow-list of packages shared from the runner: the API, the runtime, DJL (the
 * PyTorch native library can be loaded by only one class loader per JVM) and SLF4J.
 */
final class BundleClassLoader extends URLClassLoader {
    static final List<String> SHARED_PACKAGES =
            List.of("io.finetune4j.api.", "io.finetune4j.runtime.", "ai.djl.", "org.slf4j.");

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
        if (isShared(name)) {
            return runnerLoader.loadClass(name);
        }
        return super.loadClass(name, resolve);
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
