package io.finetune4j.runner.report;


/** Generated text as the report prints it; numbers are {@link io.finetune4j.runner.eval.Numbers}. */
final class ReportFormat {
    private ReportFormat() {}

    /**
     * Generated text for a table cell: control characters (a random model emits any byte) shown as
     * {@code U+FFFD}, and a continuation that stopped at end-of-sequence marked {@code ⟨eos⟩}.
     */
    static String sample(SampleGeneration sample) {
        String text = sample.output().replaceAll("[\\p{Cc}&&[^\\n]]", "\uFFFD");
        return "eos".equals(sample.stopReason()) ? text + " ⟨eos⟩" : text;
    }
}
