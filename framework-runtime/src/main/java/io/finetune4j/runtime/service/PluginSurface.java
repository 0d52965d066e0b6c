package io.finetune4j.runtime.service;

import io.finetune4j.api.Experimental;
import io.finetune4j.api.Stable;

/**
 * What plugin bundles may use of framework-runtime: the classes marked {@link Stable} or
 * {@link Experimental}, and the types nested in them. The runner's bundle class loader shares only these,
 * and {@code PluginSurfaceSnapshotTest} pins their public signatures; a new runtime class joins the surface
 * by carrying the annotation, with no list to edit.
 */
public final class PluginSurface {
    /** The package prefix of framework-runtime's classes. */
    public static final String RUNTIME_PACKAGE = "io.finetune4j.runtime.";

    private PluginSurface() {}

    /** True when {@code type}, or a type it is nested in, is marked {@link Stable} or {@link Experimental}. */
    public static boolean includes(Class<?> type) {
        for (Class<?> current = type; current != null; current = current.getEnclosingClass()) {
            if (current.isAnnotationPresent(Stable.class) || current.isAnnotationPresent(Experimental.class)) {
                return true;
            }
        }
        return false;
    }
}
