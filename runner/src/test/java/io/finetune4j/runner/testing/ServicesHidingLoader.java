package io.finetune4j.runner.testing;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;

/**
 * The test class loader minus its finetune4j service files: lets a test play "the runner's classpath"
 * with only the providers it puts there, even once the built-in plugins are on the test classpath.
 */
public final class ServicesHidingLoader extends ClassLoader {
    private static final String HIDDEN = "META-INF/services/io.finetune4j.";

    public ServicesHidingLoader(ClassLoader parent) {
        super("services-hiding", parent);
    }

    @Override
    public URL getResource(String name) {
        return name.startsWith(HIDDEN) ? null : super.getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return name.startsWith(HIDDEN) ? Collections.emptyEnumeration() : super.getResources(name);
    }
}
