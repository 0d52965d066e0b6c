package io.finetune4j.runner.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the runner jar's manifest ({@code dev} when run from classes). */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"ft4j " + (version == null ? "dev" : version)};
    }
}
