package io.finetune4j.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MklShimCheckTest {
    @Test
    void aCorrectEngineAgreesWithTheReference() {
        assertThat(MklShimCheck.engineError()).isLessThanOrEqualTo(MklShimCheck.TOLERANCE);
        assertThat(MklShimCheck.problem(MklShimCheck.engineError(), "shim.so")).isEmpty();
    }

    @Test
    void theFixedMatricesAreDeterministicAndNotTrivial() {
        assertThat(MklShimCheck.matrix(1)).containsExactly(MklShimCheck.matrix(1));
        assertThat(MklShimCheck.matrix(1)).isNotEqualTo(MklShimCheck.matrix(2));
        double[] product = MklShimCheck.reference(MklShimCheck.matrix(1), MklShimCheck.matrix(2));
        double largest = 0;
        for (double value : product) {
            largest = Math.max(largest, Math.abs(value));
        }
        assertThat(largest).isGreaterThan(1.0);
    }

    @Test
    void aWrongOrNaNProductIsAUserErrorNamingTheWayOut() {
        float[] a = MklShimCheck.matrix(1);
        float[] b = MklShimCheck.matrix(2);
        double[] expected = MklShimCheck.reference(a, b);
        float[] wrong = new float[expected.length];
        for (int i = 0; i < wrong.length; i++) {
            wrong[i] = (float) expected[i];
        }
        assertThat(MklShimCheck.maxAbsError(wrong, expected)).isLessThanOrEqualTo(MklShimCheck.TOLERANCE);
        wrong[17] += 0.01f;
        assertThat(MklShimCheck.maxAbsError(wrong, expected)).isGreaterThan(MklShimCheck.TOLERANCE);
        wrong[17] = Float.NaN;
        double nan = MklShimCheck.maxAbsError(wrong, expected);

        assertThat(MklShimCheck.problem(nan, "/x/libft4j_mkl_shim.so")).hasValueSatisfying(message -> assertThat(message)
                .contains("MKL shim", "/x/libft4j_mkl_shim.so", "wrong results", "FT4J_MKL_SHIM=0")
                .doesNotContain("\n"));
        assertThat(MklShimCheck.problem(0.5, "s")).isPresent();
    }

    @Test
    void withoutThePropertyNothingRuns() {
        assertThat(System.getProperty(MklShimCheck.PROPERTY)).isNull();
        StringWriter err = new StringWriter();

        assertThat(MklShimCheck.passes(new PrintWriter(err))).isTrue();
        assertThat(err.toString()).isEmpty();
    }
}
