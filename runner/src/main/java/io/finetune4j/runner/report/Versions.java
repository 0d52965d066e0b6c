package io.finetune4j.runner.report;

import ai.djl.engine.Engine;
import java.util.LinkedHashMap;
import java.util.Map;

/** The versions that produced a run, for its report: finetune4j, Java, DJL and the engine (PyTorch). */
public final class Versions {
    private Versions() {}

    public static Map<String, String> current() {
        Map<String, String> versions = new LinkedHashMap<>();
        String ft4j = Versions.class.getPackage().getImplementationVersion();
        versions.put("finetune4j", ft4j == null ? "dev (classes, no jar manifest)" : ft4j);
        versions.put("Java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        versions.put("DJL", Engine.getDjlVersion());
        Engine engine = Engine.getInstance();
        versions.put(engine.getEngineName(), engine.getVersion());
        versions.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        return versions;
    }
}
